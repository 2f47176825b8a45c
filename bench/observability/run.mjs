// What observability costs per request: Portcullis with built-in metrics off, on (the default), and on
// with traces sampled at 1% (exported over OTLP/HTTP to a local sink), one policy-free route, log silent.
// Usage: node bench/observability/run.mjs [seconds=2] [connections=32] [rounds=3]   (build first: npm run build)
// Rounds alternate the variants; medians of requests/s and of the gateway's CPU time per request
// (Linux /proc: steadier than requests/s on a shared machine) are printed with ratios to `off`.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { closedLoop } from "../lib/closed-loop.js";

const seconds = Number(process.argv[2] ?? 2);
const connections = Number(process.argv[3] ?? 32);
const rounds = Number(process.argv[4] ?? 3);
const script = fileURLToPath(new URL("./servers.mjs", import.meta.url));
const children = [];
const VARIANTS = ["off", "metrics", "traces"];

async function start(role, ...ports) {
  const child = spawn(process.execPath, [script, role, ...ports.map(String)], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const [data] = await once(child.stdout, "data");
  return { port: Number(String(data).split("\n", 1)[0]), pid: child.pid, child };
}

const load = (port, durationMs, pid) => closedLoop(port, { durationMs, connections, pid });

/** Spans the sink received so far. */
async function sinkSpans(sink) {
  sink.child.kill("SIGUSR2");
  for (;;) {
    const [data] = await once(sink.child.stdout, "data");
    const found = /spans (\d+)/.exec(String(data));
    if (found) return Number(found[1]);
  }
}

try {
  const upstream = await start("upstream");
  const sink = await start("sink");
  const targets = {};
  for (const variant of VARIANTS) {
    targets[variant] = await start(variant, upstream.port, sink.port);
    await load(targets[variant].port, 1_000, targets[variant].pid); // warm-up: JIT, pools
  }
  const runs = Object.fromEntries(VARIANTS.map((variant) => [variant, []]));
  let tracedRequests = 0;
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const run = await load(targets[variant].port, seconds * 1_000, targets[variant].pid);
      runs[variant].push(run);
      if (variant === "traces") tracedRequests += run.rps * seconds;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the last batch of spans (batchDelayMs 500)
  const spans = await sinkSpans(sink);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`observability cost, policy-free route, log silent, ${connections} connections, ${rounds} x ${seconds}s, medians (node ${process.version})`);
  const off = { rps: median(runs.off.map((r) => r.rps)), cpu: median(runs.off.map((r) => r.cpuPerRequest)) };
  for (const variant of VARIANTS) {
    const rps = median(runs[variant].map((r) => r.rps));
    const cpu = median(runs[variant].map((r) => r.cpuPerRequest));
    const errors = runs[variant].reduce((sum, r) => sum + r.errors, 0);
    console.log(
      `  ${variant.padEnd(8)} ${Math.round(rps).toString().padStart(7)} req/s (x${(rps / off.rps).toFixed(3)})   gateway CPU ${cpu.toFixed(1)} us/req (x${(cpu / off.cpu).toFixed(3)})   errors ${errors}`,
    );
  }
  console.log(
    `  traces: ${spans} spans exported for about ${Math.round(tracedRequests)} measured requests (3 spans per sampled request expected, warm-up included)`,
  );
} finally {
  for (const child of children) child.kill();
}
