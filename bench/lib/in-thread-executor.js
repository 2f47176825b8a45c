// The one-route configuration with pass policies (test/runtime/fixtures/pass) the runtime benches use,
// and the in-thread FlowExecutor they measure a flow's cost without any crossing with.
import { tmpdir } from "node:os";
import { parseConfigText } from "../../host/dist/config/load-config.js";

export { inThreadExecutor } from "../../host/dist/runtime/worker/in-thread.js";

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
