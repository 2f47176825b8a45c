import { fileURLToPath } from "node:url";

/** Absolute path of a test policy built by test/global-setup.ts. */
export function policyPath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}/build/${name}.wasm`, import.meta.url));
}

/** A `plugins:` table entry (YAML, indented under `plugins:`) for a test policy. */
export function plugin(name: string, extra = "", key = name): string {
  return `  ${key}:\n    path: ${policyPath(name)}\n${extra}`;
}
