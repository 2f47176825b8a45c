import { fileURLToPath } from "node:url";
import { routesYaml } from "../../support/gateway.js";

/** Absolute path of a test policy built by test/global-setup.ts. */
export function policyPath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}/build/${name}.wasm`, import.meta.url));
}

/** A `plugins:` table entry (YAML, indented under `plugins:`) for a test policy. */
export function plugin(name: string, extra = "", key = name): string {
  return `  ${key}:\n    path: ${policyPath(name)}\n${extra}`;
}

/** /bad runs `misbehave` (its mode from the x-misbehave header), /ok a healthy `tag`: for isolation tests. */
export const BAD_AND_OK_ROUTES = routesYaml(`
      - name: bad
        match: { path: { prefix: /bad } }
        policies: { request: [ { plugin: misbehave } ] }
        backend: { echo: true }
      - name: ok
        match: { path: { prefix: /ok } }
        policies: { request: [ { plugin: tag, with: { label: healthy } } ] }
        backend: { echo: true }`);
