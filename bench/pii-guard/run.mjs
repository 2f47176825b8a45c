// pii-guard's cost per KiB of JSON body: one on-request call in-thread through the SDK's test harness,
// on the bench's order documents of 1 KiB and 64 KiB (the body-guards case's bodies and detectors), each
// timed for a bounded time after a warm-up. Run after `npm run build` and building the plugin:
//   node bench/pii-guard/run.mjs [wasm path] [milliseconds per size]
import { fileURLToPath } from "node:url";
import { loadPolicy } from "../../sdk/dist/testing/index.js";
import { jsonBody } from "../lib/workloads.js";

const wasm = process.argv[2] ?? fileURLToPath(new URL("../../plugins/pii-guard/build/pii-guard.wasm", import.meta.url));
const budgetMs = Number(process.argv[3] ?? 3000);
const config = { detectors: { ssn: "block", card: "block", iban: "block", email: "mask", phone: "mask" } };
const policy = await loadPolicy(wasm, { config });

/**
 * CPU microseconds per call (this thread's process user + system time, steadier than wall time on a shared
 * machine): the median of 5 slices of the time budget, after a warm-up of one slice.
 */
function perCall(body) {
  const request = { method: "POST", headers: { "content-type": "application/json" }, body: new TextEncoder().encode(body) };
  const check = policy.onRequest(request);
  if (check.tag !== "ok" || check.val.tag !== "continue") throw new Error(`unexpected decision ${JSON.stringify(check)}`);
  const slices = [];
  for (let slice = 0; slice < 6; slice++) {
    const until = performance.now() + budgetMs / 6;
    let calls = 0;
    const start = process.cpuUsage();
    while (performance.now() < until) {
      policy.onRequest(request);
      calls++;
    }
    const used = process.cpuUsage(start);
    if (slice > 0) slices.push((used.user + used.system) / calls);
  }
  return slices.sort((a, b) => a - b)[2];
}

const figures = {};
for (const kib of [1, 64]) {
  const us = perCall(jsonBody(kib * 1024));
  figures[`${kib} KiB`] = { cpuMicrosecondsPerCall: +us.toFixed(1), cpuMicrosecondsPerKiB: +(us / kib).toFixed(2) };
}
console.log(JSON.stringify({ wasm, figures, guestMemoryBytes: policy.instance.memoryBytes?.() }, null, 2));
