/**
 * The world's exported functions, compared by their component-level types. The core module check
 * cannot tell some changes apart: `init` returning `result<_, config-error>` (before 0.1.0 was
 * released) and `result<init-info, config-error>` lower to the same core signature, so a component
 * built before would load and its answers would be read from the wrong layout.
 */
import { readFileSync } from "node:fs";
import { InvalidComponentError } from "../errors.js";
import { SDK_WIT_FILE } from "../sdk-paths.js";

const EXPORT_LINE = /^\s*export\s+([a-z0-9-]+)\s*:\s*(func\b[^;]*);/gm;

function exportedFunctions(wit: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of wit.matchAll(EXPORT_LINE)) out.set(match[1]!, match[2]!.replace(/\s+/g, " ").trim());
  return out;
}

let expected: Map<string, string> | undefined;

/** Throws InvalidComponentError naming each exported function whose type differs from the world's. */
export async function checkWorldExports(component: Uint8Array): Promise<void> {
  expected ??= exportedFunctions(readFileSync(SDK_WIT_FILE, "utf8"));
  // Loaded only here (a load-time check whose result the gateway caches by content hash).
  const { componentWit } = await import("@bytecodealliance/jco-transpile/wasm-tools");
  const found = exportedFunctions(await componentWit(component));
  const problems: string[] = [];
  for (const [name, type] of expected) {
    const actual = found.get(name);
    if (actual !== undefined && actual !== type) {
      problems.push(`export '${name}' is \`${actual}\`, the policy world expects \`${type}\` (built with an older SDK: rebuild it)`);
    }
  }
  if (problems.length) throw new InvalidComponentError(problems);
}
