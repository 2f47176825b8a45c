// A FlowExecutor on the calling thread, set up as a policy worker's is: a flow's cost without any crossing.
// Also the one-route configuration with pass policies (test/runtime/fixtures/pass) the runtime benches use.
import { tmpdir } from "node:os";
import { parseConfigText } from "../../host/dist/config/load-config.js";
import { BodyNeedTable } from "../../host/dist/runtime/body-needs.js";
import { ProgressSlots } from "../../host/dist/runtime/flow-deadline.js";
import { FlowExecutor } from "../../host/dist/runtime/worker/run-flow.js";

/** `prepared` from preparePolicies, `loaded` from parseConfigText. */
export function inThreadExecutor(prepared, loaded) {
  return new FlowExecutor({
    plugins: Object.fromEntries([...prepared.plugins].map(([name, p]) => [name, { module: p.module, grants: p.config.capabilities, limits: p.config.limits }])),
    plan: prepared.plan,
    listeners: loaded.config.listeners,
    baseDir: tmpdir(),
    bridgeTimeoutMs: 1_000,
    logLevel: "silent",
    sharedCounters: undefined,
    progress: new ProgressSlots(1).buffer,
    bodyNeeds: BodyNeedTable.create(prepared.plan.instances.length).buffer,
  });
}

/** Loaded configuration: listener "main", route "r" (echo backend) with `policies` (YAML flow mapping), `runtime` extra keys. */
export function passRouteConfig(policies, runtime = "") {
  const yaml = `
plugins:
  pass: { path: ${new URL("../../test/runtime/fixtures/pass/build/pass.wasm", import.meta.url).pathname} }
runtime: { cacheDir: ${tmpdir()}/portcullis-bench-cache${runtime} }
listeners:
  - name: main
    port: 0
    routes:
      - name: r
        match: { path: { prefix: / } }
        policies: ${policies}
        backend: { echo: true }
`;
  return parseConfigText(yaml, { baseDir: tmpdir(), env: {} });
}
