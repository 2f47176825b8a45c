import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { pluginSchema } from "../../host/src/runtime/config-schema.js";
import { describeCompiled, loadPlugin, loaderStats, type LoadedPlugin } from "../../host/src/runtime/plugin-loader.js";
import { policyPath } from "./support/policies.js";

const sha256 = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");

/** A folder holding a copy of a test policy (at plugin.wasm) and an empty cache. */
function workspace(policy: string): { dir: string; wasm: string; cacheDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-plugin-cache-"));
  const wasm = join(dir, "plugin.wasm");
  copyFileSync(policyPath(policy), wasm);
  return { dir, wasm, cacheDir: join(dir, "cache") };
}

/** Loads plugin.wasm of `dir` as a start does; reports what it took from the cache and what it ran. */
async function load(dir: string, cacheDir: string): Promise<{ plugin: LoadedPlugin; describes: number; worldChecks: number }> {
  const before = { ...loaderStats };
  const compiled = await loadPlugin("p", pluginSchema.parse({ path: "plugin.wasm" }), dir, cacheDir);
  const [plugin] = await describeCompiled([compiled], 5_000, (name) => name);
  return { plugin: plugin!, describes: loaderStats.descriptions - before.descriptions, worldChecks: loaderStats.inspections - before.inspections };
}

const entryOf = (cacheDir: string, suffix = ".json"): string => join(cacheDir, readdirSync(cacheDir).find((f) => f.endsWith(suffix))!);

describe("the on-disk plugin cache", () => {
  it("spares a second start the world check and describe(), and gives it the same descriptor", async () => {
    const { dir, wasm, cacheDir } = workspace("tag");
    const first = await load(dir, cacheDir);
    expect(first).toMatchObject({ describes: 1, worldChecks: 1, plugin: { cached: false } });
    const second = await load(dir, cacheDir);
    expect(second).toMatchObject({ describes: 0, worldChecks: 0, plugin: { cached: true } });
    expect(second.plugin.descriptor).toEqual(first.plugin.descriptor);
    expect(second.plugin.descriptor.flows).toContain("request");
    // Named by the plugin's hash, for whoever looks into the folder.
    expect(readdirSync(cacheDir).every((f) => f.startsWith(sha256(readFileSync(wasm))))).toBe(true);
  });

  it("keys each entry by the policy world and the jco-transpile release as well as the plugin", async () => {
    const { dir, cacheDir } = workspace("pass");
    await load(dir, cacheDir);
    const entry = JSON.parse(readFileSync(entryOf(cacheDir), "utf8")) as { world: string; jco: string };
    const sdk = dirname(createRequire(import.meta.url).resolve("@portcullis/sdk/package.json"));
    const jcoManifest = join(sdk, "..", "node_modules", "@bytecodealliance", "jco-transpile", "package.json");
    expect(entry.world).toBe(sha256(readFileSync(join(sdk, "wit", "policy.wit"))));
    expect(entry.jco).toBe((JSON.parse(readFileSync(jcoManifest, "utf8")) as { version: string }).version);
    // An entry judged under another world is not used, even with a valid digest.
    const { digest: _, ...rest } = JSON.parse(readFileSync(entryOf(cacheDir), "utf8")) as Record<string, unknown>;
    const otherWorld = { ...rest, world: sha256("another world") };
    writeFileSync(entryOf(cacheDir), JSON.stringify({ ...otherWorld, digest: sha256(JSON.stringify(otherWorld)) }));
    expect(await load(dir, cacheDir)).toMatchObject({ describes: 1, worldChecks: 1, plugin: { cached: false } });
  });

  it("loads a changed .wasm in full: the new component's descriptor, never the old one's", async () => {
    const { dir, wasm, cacheDir } = workspace("tag");
    const before = await load(dir, cacheDir);
    copyFileSync(policyPath("shout"), wasm);
    const after = await load(dir, cacheDir);
    expect(after).toMatchObject({ describes: 1, worldChecks: 1, plugin: { cached: false } });
    expect(after.plugin.sha256).toBe(sha256(readFileSync(policyPath("shout"))));
    expect(after.plugin.descriptor.name).not.toBe(before.plugin.descriptor.name);
  });

  it("ignores a corrupted entry (truncated, edited, another plugin's core module) and writes it again", async () => {
    const { dir, cacheDir } = workspace("tag");
    const { plugin } = await load(dir, cacheDir);
    const json = entryOf(cacheDir);
    const intact = readFileSync(json, "utf8");
    const corruptions: [string, () => void][] = [
      ["truncated", () => writeFileSync(json, intact.slice(0, intact.length / 2))],
      ["descriptor edited, digest kept", () => writeFileSync(json, intact.replace('"request"', '"response"'))],
      ["not JSON", () => writeFileSync(json, "\u0000\u0001")],
      ["another plugin's core module", () => copyFileSync(policyPath("pass"), entryOf(cacheDir, ".core.wasm"))],
    ];
    for (const [what, corrupt] of corruptions) {
      corrupt();
      const rebuilt = await load(dir, cacheDir);
      expect(rebuilt, what).toMatchObject({ describes: 1, worldChecks: 1, plugin: { cached: false } });
      expect(rebuilt.plugin.descriptor, what).toEqual(plugin.descriptor);
      expect(await load(dir, cacheDir), `${what}: rewritten`).toMatchObject({ describes: 0, plugin: { cached: true } });
    }
  });
});
