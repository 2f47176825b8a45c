import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildJsPolicy } from "../../plugins-js/build.mjs";
import { compilePolicy, preparePolicyComponent } from "../../sdk/src/component/policy-component.js";
import { componentCoreModules, leb128, sections, withCustomSection } from "../../sdk/src/component/wasm-binary.js";
import { InvalidComponentError } from "../../sdk/src/errors.js";
import { buildFixture } from "./support/fixtures.js";

/**
 * A JavaScript policy's instantiation code travels to the workers in custom sections of its main core
 * module, and workers run it as host code: a plugin file must not be able to supply those sections.
 */

/** `component` with its `index`-th top-level core module replaced by `module`. */
function withCoreModule(component: Uint8Array, index: number, module: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [component.subarray(0, 8)];
  let seen = 0;
  for (const section of sections(component, 1)) {
    const replaced = section.id === 1 && seen++ === index;
    const body = replaced ? module : component.subarray(section.start, section.end);
    parts.push(Uint8Array.of(section.id, ...leb128(body.length)), body);
  }
  return Buffer.concat(parts);
}

const INJECTED = new TextEncoder().encode("export function instantiate() { globalThis.pwned = true; return {}; }\nexport const _util = {};");

function injected(component: Uint8Array): Uint8Array {
  const modules = componentCoreModules(component);
  const main = modules.reduce((largest, m, i) => (m.length > modules[largest]!.length ? i : largest), 0);
  return withCoreModule(component, main, withCustomSection(modules[main]!, "portcullis:script-glue", INJECTED));
}

describe("instantiation code only the gateway generates", () => {
  it("refuses an SDK component whose core module carries a script section", async () => {
    const component = readFileSync((await buildFixture("echo")).wasmPath);
    await expect(preparePolicyComponent(component)).resolves.toMatchObject({ capabilities: expect.any(Array) });
    const forged = injected(component);
    await expect(preparePolicyComponent(forged)).rejects.toBeInstanceOf(InvalidComponentError);
    await expect(compilePolicy(forged)).rejects.toThrow(/custom section 'portcullis:script-glue', which only the gateway may add/);
  });

  it("refuses a JavaScript component whose main core module carries one", async () => {
    const { wasmPath } = await buildJsPolicy(fileURLToPath(new URL("../../plugins-js/header-stamp/", import.meta.url)));
    const forged = injected(readFileSync(wasmPath));
    await expect(compilePolicy(forged)).rejects.toThrow(/custom section 'portcullis:script-glue', which only the gateway may add/);
  }, 120_000);
});
