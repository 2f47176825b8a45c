// The marginal cost of one more policy: a request flow with 0, 1, 3 and 10 pass policies (8 request
// headers) run in-thread by a FlowExecutor, no crossing, so the slope is the policy calls' own cost.
// Prints CPU µs per flow for each chain and the least-squares slope per extra policy (median of ROUNDS
// interleaved rounds, each bounded to about MS milliseconds per chain).
// CHANNEL=piscina|direct: the same flows through PolicyRuntime.run instead, 50 in flight (process CPU,
// all threads; no 0-policy point: without policies there is no runtime).
// Run after `npm run build` and a test run (it builds the pass fixture): node bench/policy-chain.mjs
// A profile of the 10-policy chain: node --cpu-prof --cpu-prof-dir=/tmp/prof bench/policy-chain.mjs 10
import { pino } from "pino";
import { PolicyRuntime, preparePolicies } from "../host/dist/runtime/policy-runtime.js";
import { inThreadExecutor, passRouteConfig } from "./lib/in-thread-executor.js";
import { median, slope } from "./lib/stats.js";

const channel = process.env.CHANNEL;
const chains = process.argv[2] ? process.argv.slice(2).map(Number) : channel ? [1, 3, 10] : [0, 1, 3, 10];
const rounds = Number(process.env.ROUNDS ?? 5);
const budgetMs = Number(process.env.MS ?? 400);
const IN_FLIGHT = 50;

/** Runs flows for about budgetMs; returns CPU µs per flow. `run` is one flow, `batch` a few flows. */
async function measure(batch) {
  let flows = 0;
  const c0 = process.cpuUsage();
  const end = performance.now() + budgetMs;
  while (performance.now() < end) flows += await batch();
  const cpu = process.cpuUsage(c0);
  return (cpu.user + cpu.system) / flows;
}

/** A batch of flows for a route with `n` pass policies: in-thread, or through a runtime (closed after). */
async function subjectFor(n) {
  const policies = n === 0 ? "{}" : `{ request: [ ${Array.from({ length: n }, () => "{ plugin: pass }").join(", ")} ] }`;
  const loaded = passRouteConfig(policies, channel ? `, channel: ${channel}` : "");
  const prepared = await preparePolicies(loaded);
  if (!channel) {
    const executor = inThreadExecutor(prepared, loaded);
    const first = executor.run(task());
    if (first.outcome !== "continue") throw new Error(`the ${n}-policy flow ended ${first.outcome}: ${JSON.stringify(first.failure ?? first)}`);
    const batch = () => {
      for (let i = 0; i < 200; i++) executor.run(task());
      return 200;
    };
    return { batch, close: () => {} };
  }
  const runtime = PolicyRuntime.start(prepared, loaded, pino({ level: "silent" }));
  await runtime.warmUp(loaded);
  const steps = runtime.chains("main", "r", "GET").request;
  const batch = async () => {
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => runtime.run(task(), steps, "127.0.0.1")));
    return IN_FLIGHT;
  };
  return { batch, close: () => runtime.close() };
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

const subjects = [];
for (const n of chains) {
  const subject = await subjectFor(n);
  for (let i = 0; i < 20; i++) await subject.batch(); // warm-up: JIT and instance memory
  subjects.push({ n, ...subject, samples: [] });
}
for (let round = 0; round < rounds; round++) for (const s of subjects) s.samples.push(await measure(s.batch));
for (const s of subjects) await s.close();

const points = subjects.map((s) => [s.n, median(s.samples)]);
const where = channel ? `through the ${channel} channel, ${IN_FLIGHT} in flight` : "in-thread";
for (const [n, us] of points) console.log(`${String(n).padStart(2)} pass policies: ${us.toFixed(2)} us CPU/flow (${where})`);
if (points.length > 1) console.log(`slope: ${slope(points).toFixed(2)} us CPU per extra pass policy (median of ${rounds} rounds, 8 request headers)`);
