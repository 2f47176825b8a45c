import { fileURLToPath } from "node:url";

/** Absolute path of a security fixture policy built by test/global-setup.ts. */
export function securityPolicyPath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}/build/${name}.wasm`, import.meta.url));
}
