// Builds the test policies the systems attach, with the SDK, into the run's directory; reports the time.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const FIXTURES = fileURLToPath(new URL("../../test/runtime/fixtures/", import.meta.url));
export const BENCH_POLICIES = ["pass", "tag", "shout"];

/** Resolves to `{ paths: { name: wasmPath }, buildMs: { name: ms }, bytes: { name: size } }`. */
export async function buildBenchPolicies(outDir) {
  const { buildPolicy } = await import("../../sdk/dist/tooling/index.js");
  const result = { paths: {}, buildMs: {}, bytes: {} };
  // Sequential: the first build pays the compiler's warm-up, which is what a user's first build sees.
  for (const name of BENCH_POLICIES) {
    const built = await buildPolicy(join(FIXTURES, name), { outDir });
    result.paths[name] = built.wasmPath;
    result.buildMs[name] = Math.round(built.milliseconds);
    result.bytes[name] = built.component.length;
  }
  return result;
}
