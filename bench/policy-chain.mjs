// The marginal cost of one more policy: a request flow with 0, 1, 3 and 10 pass policies (8 request
// headers) run in-thread by a FlowExecutor, no crossing, so the slope is the policy calls' own cost.
// Prints CPU µs per flow for each chain and the least-squares slope per extra policy (median of ROUNDS
// interleaved rounds, each bounded to about MS milliseconds per chain).
// Run after `npm run build` and a test run (it builds the pass fixture): node bench/policy-chain.mjs
// A profile of the 10-policy chain: node --cpu-prof --cpu-prof-dir=/tmp/prof bench/policy-chain.mjs 10
import { preparePolicies } from "../host/dist/runtime/policy-runtime.js";
import { inThreadExecutor, passRouteConfig } from "./lib/in-thread-executor.js";

const chains = process.argv[2] ? process.argv.slice(2).map(Number) : [0, 1, 3, 10];
const rounds = Number(process.env.ROUNDS ?? 5);
const budgetMs = Number(process.env.MS ?? 400);

/** A FlowExecutor on this thread, set up as a worker's is, for one route with `n` pass policies. */
async function executorFor(n) {
  const policies = n === 0 ? "{}" : `{ request: [ ${Array.from({ length: n }, () => "{ plugin: pass }").join(", ")} ] }`;
  const loaded = passRouteConfig(policies);
  const prepared = await preparePolicies(loaded);
  return inThreadExecutor(prepared, loaded);
}

const head = {
  method: "GET",
  scheme: "http",
  authority: "api.example.com",
  path: "/v1/orders/123",
  query: "expand=items",
  headers: Array.from({ length: 8 }, (_, i) => ({ name: `x-header-${i}`, value: "v".repeat(24) })),
  clientAddress: "127.0.0.1",
  requestId: "0190f1a2b3c4d5e6",
  listener: "main",
  route: "r",
};
const task = () => ({
  flow: "request",
  listener: "main",
  withListenerChain: false,
  route: "r",
  head,
  body: undefined,
  bodyTooLarge: false,
  metadata: [],
  quarantined: [],
  slot: -1,
});

/** CPU µs per flow over about budgetMs of running flows. */
function measure(executor) {
  let flows = 0;
  const c0 = process.cpuUsage();
  const end = performance.now() + budgetMs;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) executor.run(task());
    flows += 200;
  }
  const cpu = process.cpuUsage(c0);
  return (cpu.user + cpu.system) / flows;
}

const executors = [];
for (const n of chains) {
  const executor = await executorFor(n);
  const first = executor.run(task());
  if (first.outcome !== "continue") throw new Error(`the ${n}-policy flow ended ${first.outcome}: ${JSON.stringify(first.failure ?? first)}`);
  for (let i = 0; i < 3000; i++) executor.run(task()); // warm-up: JIT and instance memory
  executors.push({ n, executor, samples: [] });
}
for (let round = 0; round < rounds; round++) for (const e of executors) e.samples.push(measure(e.executor));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const points = executors.map((e) => ({ n: e.n, us: median(e.samples) }));
for (const p of points) console.log(`${String(p.n).padStart(2)} pass policies: ${p.us.toFixed(2)} us CPU/flow`);
if (points.length > 1) {
  const mx = points.reduce((s, p) => s + p.n, 0) / points.length;
  const my = points.reduce((s, p) => s + p.us, 0) / points.length;
  const slope = points.reduce((s, p) => s + (p.n - mx) * (p.us - my), 0) / points.reduce((s, p) => s + (p.n - mx) ** 2, 0);
  console.log(`slope: ${slope.toFixed(2)} us CPU per extra pass policy (median of ${rounds} rounds, 8 request headers)`);
}
