// One piscina round trip with no policy in it: a request head (10 headers) sent to a worker and back,
// one task in flight, 2 workers, under each `atomics` mode; and with a signal per task, as the gateway
// passes one. Prints JSON: { [variant]: { medianUs, bestUs } }.
// Usage: node bench/lib/pool-round-trip.js [iterations=20000]
import { Piscina } from "piscina";

const iterations = Number(process.argv[2] ?? 20_000);
const BATCHES = 5;
const task = {
  head: {
    method: "GET",
    path: "/v1/orders/123",
    query: "expand=items",
    authority: "api.example.com",
    headers: Array.from({ length: 10 }, (_, i) => ({ name: `x-header-${i}`, value: `value-${i}-abcdefghijklmnop` })),
  },
  metadata: [],
};

async function measure(options, runOptions) {
  const pool = new Piscina({
    filename: new URL("./pool-echo-worker.js", import.meta.url).href,
    minThreads: 2,
    maxThreads: 2,
    concurrentTasksPerWorker: 1,
    ...options,
  });
  try {
    const perTask = [];
    for (let batch = 0; batch <= BATCHES; batch++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < iterations / BATCHES; i++) await pool.run(task, runOptions?.());
      if (batch > 0) perTask.push(Number(process.hrtime.bigint() - started) / 1_000 / (iterations / BATCHES)); // batch 0 warms up
    }
    perTask.sort((a, b) => a - b);
    return { medianUs: +perTask[Math.floor(perTask.length / 2)].toFixed(1), bestUs: +perTask[0].toFixed(1) };
  } finally {
    await pool.destroy();
  }
}

const results = {
  "atomics sync (default)": await measure({ atomics: "sync" }),
  "atomics async": await measure({ atomics: "async" }),
  "atomics disabled": await measure({ atomics: "disabled" }),
  "sync + AbortSignal.timeout per task": await measure({ atomics: "sync" }, () => ({ signal: AbortSignal.timeout(1_000) })),
};
console.log(JSON.stringify(results));
