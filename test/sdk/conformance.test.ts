import { componentEmbed } from "@bytecodealliance/jco-transpile/wasm-tools";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { CORE_CONTRACT } from "../../sdk/src/component/generated-binding.js";
import { coreModuleShape, type CoreModuleShape } from "../../sdk/src/component/wasm-binary.js";
import { SDK_WIT_FILE } from "../../sdk/src/sdk-paths.js";
import { buildFixture } from "./support/fixtures.js";

const signatures = (entries: { name: string; signature?: { params: readonly string[]; results: readonly string[] } }[]) =>
  Object.fromEntries(entries.map((e) => [e.name, e.signature ? `${e.signature.params.join(",")}->${e.signature.results.join(",")}` : "memory"]));

let oracle: CoreModuleShape;
let built: CoreModuleShape;

beforeAll(async () => {
  const dummy = await componentEmbed({ dummy: true, witSource: readFileSync(SDK_WIT_FILE, "utf8"), world: "policy", stringEncoding: "utf16" });
  oracle = coreModuleShape(dummy);
  built = coreModuleShape((await buildFixture("echo")).coreModule);
});

describe("the compiled policy module against the WIT contract", () => {
  it("exports exactly what componentEmbed({ dummy: true }) derives, with the same signatures", () => {
    expect(signatures(built.exports)).toEqual(signatures(oracle.exports));
  });

  it("imports only world functions, each with the oracle's signature", () => {
    const expected = Object.fromEntries(oracle.imports.map((i) => [`${i.module}#${i.name}`, signatures([{ name: "f", signature: i.signature }]).f]));
    expect(built.imports.length).toBeGreaterThan(0);
    for (const entry of built.imports) {
      expect(signatures([{ name: "f", signature: entry.signature }]).f, `${entry.module}#${entry.name}`).toBe(expected[`${entry.module}#${entry.name}`]);
    }
  });

  it("has a generated host contract equal to the oracle's", () => {
    const contractImports = Object.entries(CORE_CONTRACT.imports).flatMap(([module, entry]) =>
      Object.entries(entry.functions).map(([name, signature]) => ({ name: `${module}#${name}`, signature })),
    );
    expect(signatures(contractImports)).toEqual(signatures(oracle.imports.map((i) => ({ name: `${i.module}#${i.name}`, signature: i.signature }))));
    const contractExports = Object.entries(CORE_CONTRACT.exports).map(([name, signature]) => ({ name, signature }));
    const oracleFunctions = oracle.exports.filter((e) => e.kind === "func" && e.name.startsWith("cm32p2||"));
    expect(signatures(contractExports)).toEqual(signatures(oracleFunctions));
  });

  it("declares a maximum memory from package.json", () => {
    expect(built.memoryMaximumPages).toBe(256);
  });
});
