/**
 * The world's exported functions, compared by their component-level types. The core module check
 * cannot tell some changes apart: `init` returning `result<_, config-error>` (before 0.1.0 was
 * released) and `result<init-info, config-error>` lower to the same core signature, so a component
 * built before would load and its answers would be read from the wrong layout.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { InvalidComponentError } from "../errors.js";
import { SDK_WIT_FILE } from "../sdk-paths.js";
import { customSection, withCustomSection } from "./wasm-binary.js";

/**
 * A custom section the SDK's build adds to every component: the SHA-256 of the world it was built
 * against. A component carrying this SDK's fingerprint needs no type check; any other (another
 * toolchain, another SDK version) gets the full comparison, which loads wasm-tools (~100 ms).
 * A shortcut, not a boundary: a forged stamp only lets the component's own answers be misread; the
 * core signatures are still checked and the sandbox still holds.
 */
const FINGERPRINT_SECTION = "portcullis:world-sha256";

let fingerprint: string | undefined;
function worldFingerprint(): string {
  return (fingerprint ??= createHash("sha256").update(readFileSync(SDK_WIT_FILE)).digest("hex"));
}

/** The component with this SDK's world fingerprint attached (the build's last step). */
export function stampWorld(component: Uint8Array): Uint8Array {
  return withCustomSection(component, FINGERPRINT_SECTION, new TextEncoder().encode(worldFingerprint()));
}

const EXPORT_LINE = /^\s*export\s+([a-z0-9-]+)\s*:\s*(func\b[^;]*);/gm;

function exportedFunctions(wit: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of wit.matchAll(EXPORT_LINE)) out.set(match[1]!, match[2]!.replace(/\s+/g, " ").trim());
  return out;
}

let expected: Map<string, string> | undefined;

/** Throws InvalidComponentError naming each exported function whose type differs from the world's. */
export async function checkWorldExports(component: Uint8Array): Promise<void> {
  const stamp = customSection(component, FINGERPRINT_SECTION);
  if (stamp && new TextDecoder().decode(stamp) === worldFingerprint()) return;
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
