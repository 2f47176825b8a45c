// Micro-benchmark of one on-request call through the SDK's loading adapter
// (10 headers, 1 KiB body, one host call), plus build time and component size.
// Run after `npm run build`: node bench/policy-call/run.mjs
import { fileURLToPath } from "node:url";
import { buildPolicy } from "../../sdk/dist/build/build-policy.js";
import { compilePolicy, instantiatePolicy } from "../../sdk/dist/index.js";

const dir = fileURLToPath(new URL("./policy/", import.meta.url));
const cold = await buildPolicy(dir);
const warm = await buildPolicy(dir);

const compileStart = performance.now();
const compiled = await compilePolicy(cold.component);
const compileMs = performance.now() - compileStart;
const capabilities = { clock: { nowMs: () => 1_700_000_000_000n, monotonicNs: () => 0n } };
const instStart = performance.now();
const rounds = 200;
for (let i = 0; i < rounds; i++) instantiatePolicy(compiled, capabilities);
const instantiateMs = (performance.now() - instStart) / rounds;

const policy = instantiatePolicy(compiled, capabilities);
const head = {
  method: "POST",
  scheme: "https",
  authority: "api.example.com",
  path: "/v1/orders/123",
  query: "expand=items",
  headers: [
    ["authorization", "Bearer abcdefghijklmnopqrstuvwxyz0123456789"],
    ["content-type", "application/json"],
    ["accept", "application/json"],
    ["user-agent", "bench/1.0"],
    ["x-request-id", "5f0c6c3e-1111-2222-3333-444455556666"],
    ["x-forwarded-for", "10.0.0.1"],
    ["accept-encoding", "gzip, br"],
    ["cache-control", "no-cache"],
    ["x-tenant", "acme"],
    ["content-length", "1024"],
  ].map(([name, value]) => ({ name, value })),
  clientAddress: "10.0.0.1",
  requestId: "r-1",
  listener: "main",
  route: "orders",
};
const request = { head, body: new Uint8Array(1024).fill(65), metadata: [] };
const check = policy.onRequest(request);
if (check.tag !== "ok" || check.val.tag !== "continue") throw new Error(`unexpected decision ${JSON.stringify(check)}`);

for (let i = 0; i < 20_000; i++) policy.onRequest(request);
const samples = [];
for (let round = 0; round < 5; round++) {
  const n = 50_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) policy.onRequest(request);
  samples.push(Number(process.hrtime.bigint() - start) / 1000 / n);
}
samples.sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      perCallMicroseconds: { median: +samples[2].toFixed(2), best: +samples[0].toFixed(2) },
      buildMilliseconds: { cold: Math.round(cold.milliseconds), warm: Math.round(warm.milliseconds) },
      componentBytes: cold.component.length,
      coreModuleBytes: cold.coreModule.length,
      compileMilliseconds: +compileMs.toFixed(2),
      instantiateMilliseconds: +instantiateMs.toFixed(3),
      guestMemoryBytes: policy.memoryBytes(),
    },
    null,
    2,
  ),
);
