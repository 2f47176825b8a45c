import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../host/src/errors.js";

const CODE = /PCS_ERR_[A-Z0-9_]+/g;
const catalogue = Object.keys(ERRORS);
const docs = readFileSync("docs/errors.md", "utf8");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Every PCS_ERR_* string in the host's and the SDK's sources, outside the catalogue itself. */
const used = new Set(
  [...sourceFiles("host/src"), ...sourceFiles("sdk/src")]
    .filter((file) => file !== join("host", "src", "errors.ts"))
    .flatMap((file) => readFileSync(file, "utf8").match(CODE) ?? []),
);

describe("error catalogue", () => {
  it("documents every code of host/src/errors.ts in docs/errors.md, with its status", () => {
    for (const [code, { status }] of Object.entries(ERRORS)) {
      const row = docs.split("\n").find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, `${code} missing from docs/errors.md`).toBeDefined();
      if (status !== null) expect(row, `${code} documented with another status`).toContain(`| ${status} |`);
    }
  });

  it("documents no code that the catalogue does not have", () => {
    const documented = new Set(docs.match(CODE));
    expect([...documented].filter((code) => !catalogue.includes(code))).toEqual([]);
  });

  it("raises every catalogued code somewhere in host/src or sdk/src", () => {
    expect(catalogue.filter((code) => !used.has(code))).toEqual([]);
  });

  it("uses no code outside the catalogue", () => {
    expect([...used].filter((code) => !catalogue.includes(code))).toEqual([]);
  });
});
