// Round trip of the sync capability bridge (worker blocks, main thread answers):
// bare, and through the counters capability on the memory store (and on Redis
// when REDIS_URL is set, e.g. REDIS_URL=redis://127.0.0.1:6379).
// Usage: npm run build && node bench/capabilities-bridge.js [calls]
import { Worker } from "node:worker_threads";
import { startCapabilityServices } from "../host/dist/capabilities/index.js";

const calls = Number(process.argv[2] ?? 20_000);
const workerSource = `
import { parentPort, workerData } from "node:worker_threads";
import { createCapabilities, workerBridgeClient } from ${JSON.stringify(new URL("../host/dist/capabilities/index.js", import.meta.url).href)};
const bridge = workerBridgeClient();
const { counters } = createCapabilities({ counters: true }, { policyName: "bench", baseDir: ".", bridge });
const measure = (label, call) => {
  for (let i = 0; i < 1000; i++) call(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < workerData.calls; i++) call(i);
  return { label, usPerCall: Number(process.hrtime.bigint() - start) / workerData.calls / 1000 };
};
const results = [];
if (workerData.echo) results.push(measure("bridge echo (no I/O)", (i) => bridge.callSync("bench.echo", i, 1000)));
results.push(measure("counters.increment (" + workerData.store + ")", () => {
  const result = counters.increment("bench", 1n, 60000n);
  if (result.tag !== "ok") throw new Error(JSON.stringify(result.val));
}));
parentPort.postMessage({ results });
`;

async function run(store, workerData) {
  const services = startCapabilityServices({ store });
  services.bridge.register("bench.echo", (value) => value);
  if (store !== "memory") await services.store.ready();
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`), { workerData });
  try {
    return await new Promise((resolve, reject) => {
      worker.on("message", (message) => {
        if (!services.accept(message)) resolve(message.results);
      });
      worker.on("error", reject);
    });
  } finally {
    await worker.terminate();
    await services.close();
  }
}

const results = await run("memory", { calls, echo: true, store: "memory store" });
if (process.env.REDIS_URL) {
  results.push(...(await run({ redis: { url: process.env.REDIS_URL, prefix: "bench:" } }, { calls, store: "redis" })));
}
console.log(`sync bridge round trip, ${calls} calls, node ${process.version}`);
for (const { label, usPerCall } of results) console.log(`  ${label.padEnd(36)} ${usPerCall.toFixed(1)} us/call`);
