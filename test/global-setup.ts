import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildPolicy } from "../sdk/src/build/build-policy.js";

/**
 * Builds the test policies under test/runtime/fixtures once per run, with the SDK, exactly as an
 * author would (each into its gitignored build/ folder), before any test file starts.
 */
export default async function setup(): Promise<void> {
  const root = fileURLToPath(new URL("./runtime/fixtures/", import.meta.url));
  const names = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const name of names) await buildPolicy(`${root}${name}`);
}
