import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateAll } from "../../sdk/src/codegen/generate.js";

describe("generated bindings", () => {
  it("match what the generator writes from wit/ (run `node sdk/dist/codegen/generate.js` after changing the WIT)", () => {
    const files = generateAll();
    expect(Object.keys(files).sort()).toEqual([
      "assembly/bindings/exports.ts",
      "assembly/bindings/generated.ts",
      "src/component/generated-binding.ts",
      "wit/policy.wit",
    ]);
    for (const [path, text] of Object.entries(files)) {
      expect(readFileSync(new URL(`../../sdk/${path}`, import.meta.url), "utf8"), path).toBe(text);
    }
  });
});
