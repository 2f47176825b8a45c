import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { plugin } from "../runtime/support/policies.js";

afterEach(stopAll);

const yamlWith = (cacheDir: string, name: string, extra = "", policy = `{ plugin: ${name}, with: { label: pinned } }`) =>
  `plugins:\n${plugin(name, extra)}runtime: { cacheDir: ${cacheDir} }\n${routesYaml(`
      - name: r
        match: { path: { prefix: / } }
        policies: { request: [ ${policy} ] }
        backend: { echo: true }`)}`;

/** Starts a gateway once so `cacheDir` holds the inspected `name`, and returns the cached file with `suffix`. */
async function cacheOf(name: string, suffix: string, extra = "", policy?: string): Promise<{ cacheDir: string; file: string }> {
  const cacheDir = mkdtempSync(join(tmpdir(), "portcullis-cache-"));
  const gateway = await startTestGateway(yamlWith(cacheDir, name, extra, policy));
  await gateway.close();
  const file = readdirSync(cacheDir).find((f) => f.endsWith(suffix));
  expect(file, `${name} cached a ${suffix}`).toBeDefined();
  return { cacheDir, file: join(cacheDir, file!) };
}

const tagged = async (cacheDir: string) => {
  const gateway = await startTestGateway(yamlWith(cacheDir, "tag"));
  const res = await rawRequest(gateway.url("/"));
  return res.json<{ headers: Record<string, string> }>().headers["x-order"];
};

describe("the on-disk inspection cache is verified against the pinned file", () => {
  it("never runs a swapped cached core module: the pinned plugin's code runs", async () => {
    const tag = await cacheOf("tag", ".core.wasm");
    expect(await tagged(tag.cacheDir)).toBe("pinned");
    // Another policy's core module (it does not tag) put where tag's cached core module was.
    const impostor = await cacheOf("pass", ".core.wasm", "", "{ plugin: pass }");
    copyFileSync(impostor.file, tag.file);
    expect(await tagged(tag.cacheDir)).toBe("pinned");
    // And the cache entry was rebuilt from the pinned file.
    expect(readFileSync(tag.file).equals(readFileSync(impostor.file))).toBe(false);
  });

  it("never trusts cached metadata: a plugin that imports an ungranted capability is refused", async () => {
    const count = await cacheOf("count", ".json", "    capabilities: { counters: true }\n", "{ plugin: count }");
    const meta = JSON.parse(readFileSync(count.file, "utf8")) as { capabilities: string[] };
    expect(meta.capabilities).toContain("counters");
    writeFileSync(count.file, JSON.stringify({ ...meta, capabilities: [] }));
    await expect(startTestGateway(yamlWith(count.cacheDir, "count", "", "{ plugin: count }"))).rejects.toMatchObject({
      code: "PCS_ERR_PLUGIN_CAPABILITY_DENIED",
    });
  });

  it("rebuilds a cached core module that is truncated", async () => {
    const tag = await cacheOf("tag", ".core.wasm");
    writeFileSync(tag.file, readFileSync(tag.file).subarray(0, 20));
    expect(await tagged(tag.cacheDir)).toBe("pinned");
  });
});
