import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiItems, apiReference } from "../../sdk/src/reference/api-reference.js";

describe("the AssemblyScript API reference (sdk/docs/api.md)", () => {
  it("matches what the generator writes from sdk/assembly (run `node sdk/dist/reference/api-reference.js` after changing the API)", () => {
    expect(readFileSync(new URL("../../sdk/docs/api.md", import.meta.url), "utf8")).toBe(apiReference());
  });

  it("lists every export of assembly/index.ts, each with a one-line doc", () => {
    const items = apiItems();
    const index = readFileSync(new URL("../../sdk/assembly/index.ts", import.meta.url), "utf8");
    for (const [, names] of index.matchAll(/^export \{([^}]+)\}/gm)) {
      for (const name of names!.split(",").map(
        (n) =>
          n
            .trim()
            .split(/\s+as\s+/)
            .at(-1)!,
      )) {
        expect(
          items.map((i) => i.name),
          name,
        ).toContain(name);
      }
    }
    expect(items.filter((i) => !i.doc).map((i) => i.name)).toEqual([]);
  });

  it("gives capability functions their full signatures", () => {
    const crypto = apiItems().find((i) => i.name === "Crypto")!;
    const signatures = crypto.members.map((m) => m.signature);
    expect(signatures).toContain("hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array");
    expect(signatures).toContain("sha256Hex(text: string): string");
    expect(
      apiItems()
        .find((i) => i.name === "Hex")!
        .members.map((m) => m.signature),
    ).toContain("decode(text: string): Uint8Array | null");
  });
});
