// One request flow (one pass policy) through PolicyRuntime.run, without HTTP: flows per second and
// process CPU per flow (all threads) at 1 and 50 in flight. H=<n> sets the number of request headers
// (default 8). Run after `npm run build`: node bench/runtime-flow.mjs
import { parseConfigText } from "../host/dist/config/load-config.js";
import { preparePolicies, PolicyRuntime } from "../host/dist/runtime/policy-runtime.js";
import { pino } from "pino";
import { tmpdir } from "node:os";
const yaml = `
plugins:
  pass: { path: ${new URL("../test/runtime/fixtures/pass/build/pass.wasm", import.meta.url).pathname} }
runtime: { cacheDir: ${tmpdir()}/portcullis-bench-cache }
listeners:
  - name: main
    port: 0
    routes:
      - name: r
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: pass } ] }
        backend: { echo: true }
`;
const loaded = parseConfigText(yaml, { baseDir: tmpdir(), env: {} });
const runtime = PolicyRuntime.start(await preparePolicies(loaded), loaded, pino({ level: "silent" }));
await runtime.warmUp(loaded);
const steps = runtime.chains("main", "r", "GET").request;
const head = { method: "GET", scheme: "http", authority: "x", path: "/p", query: "", headers: Array.from({ length: Number(process.env.H ?? 8) }, (_, i) => ({ name: `h${i}`, value: "v".repeat(20) })), clientAddress: "127.0.0.1", requestId: "abc", listener: "main", route: "r" };
for (const conc of [1, 50]) {
  const total = 20000; let done = 0;
  const t0 = performance.now(); const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: conc }, async () => { while (done < total) { done++; await runtime.run({ flow: "request", listener: "main", withListenerChain: false, route: "r", head, body: undefined, metadata: [] }, steps, "127.0.0.1"); } }));
  const ms = performance.now() - t0; const cpu = process.cpuUsage(c0);
  console.log(`conc ${conc}: ${(total / ms * 1000).toFixed(0)} flows/s, ${(ms * 1000 / total).toFixed(1)} us wall/flow, process CPU ${((cpu.user + cpu.system) / total).toFixed(1)} us/flow`);
}
await runtime.close();
