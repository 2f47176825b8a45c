import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfigText, startGateway } from "../../host/src/index.js";
import { loaderStats } from "../../host/src/runtime/plugin-loader.js";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { rawRequest, stopAll, track } from "../support/servers.js";
import { plugin, policyPath } from "./support/policies.js";

afterEach(stopAll);

const quietLogger = () => pino({ level: "silent" });

const route = (policies: string) => `
${routesYaml(`
      - name: r
        match: { path: { prefix: / } }
        policies: ${policies}
        backend: { echo: true }`)}
`;

describe("plugin loading", () => {
  it("refuses a plugin whose sha256 pin does not match", async () => {
    const pin = "0".repeat(64);
    await expect(
      startTestGateway(`plugins:\n${plugin("tag", `    sha256: "${pin}"\n`)}${route("{ request: [ { plugin: tag, with: { label: a } } ] }")}`),
    ).rejects.toMatchObject({ code: "PCS_ERR_PLUGIN_PIN_MISMATCH" });
  });

  it("loads a plugin whose pin matches", async () => {
    const pin = createHash("sha256")
      .update(readFileSync(policyPath("tag")))
      .digest("hex");
    const gateway = await startTestGateway(
      `plugins:\n${plugin("tag", `    sha256: "${pin}"\n`)}${route("{ request: [ { plugin: tag, with: { label: a } } ] }")}`,
    );
    expect((await rawRequest(gateway.url("/"))).status).toBe(200);
  });

  it("loads a plugin from an installed npm package that names its component", async () => {
    const project = mkdtempSync(join(tmpdir(), "portcullis-package-"));
    const packageDir = join(project, "node_modules", "@acme", "tag-policy");
    mkdirSync(join(packageDir, "dist"), { recursive: true });
    copyFileSync(policyPath("tag"), join(packageDir, "dist", "tag.wasm"));
    writeFileSync(join(packageDir, "package.json"), JSON.stringify({ name: "@acme/tag-policy", portcullis: { component: "dist/tag.wasm" } }));
    const yaml = `plugins:\n  tag: { package: "@acme/tag-policy" }\nadmin: { enabled: false }\n${route("{ request: [ { plugin: tag, with: { label: from-npm } } ] }")}`;
    const gateway = await startGateway(parseConfigText(yaml, { source: "package.yaml", baseDir: project, env: {} }), { logger: quietLogger() });
    track(() => gateway.close());
    const echoed = await rawRequest(`${gateway.listeners[0]!.url}/`);
    expect(echoed.json<{ headers: Record<string, string> }>().headers["x-order"]).toBe("from-npm");

    const missing = `plugins:\n  tag: { package: "@acme/absent" }\n${route("{ request: [ { plugin: tag, with: { label: a } } ] }")}`;
    await expect(startGateway(parseConfigText(missing, { baseDir: project, env: {} }), { logger: quietLogger() })).rejects.toMatchObject({
      code: "PCS_ERR_PLUGIN_NOT_FOUND",
    });
  });

  it("refuses a plugin that imports a capability it was not granted, naming it", async () => {
    const start = startTestGateway(`plugins:\n${plugin("count")}${route("{ request: [ { plugin: count } ] }")}`);
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_PLUGIN_CAPABILITY_DENIED" });
    await expect(start).rejects.toThrow(/"counters"/);
  });

  it("runs a plugin once the capability is granted, with counters exact across workers", async () => {
    const gateway = await startTestGateway(
      `plugins:\n${plugin("count", "    capabilities: { counters: true }\n")}runtime: { workers: 2 }\n${route("{ request: [ { plugin: count } ] }")}`,
    );
    const counts = await Promise.all(Array.from({ length: 20 }, () => rawRequest(gateway.url("/"))));
    const seen = counts.map((r) => Number(r.json<{ headers: Record<string, string> }>().headers["x-count"])).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("caches the inspected component by content hash, so a second start skips it, and compiles once per start", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "portcullis-cache-"));
    const yaml = `plugins:\n${plugin("tag")}runtime: { cacheDir: ${cacheDir}, workers: 2 }\n${route(
      "{ request: [ { plugin: tag, with: { label: a } }, { plugin: tag, with: { label: b } } ] }",
    )}`;
    const before = { ...loaderStats };
    const first = await startTestGateway(yaml);
    expect(loaderStats.inspections - before.inspections).toBe(1);
    expect(loaderStats.compilations - before.compilations).toBe(1);
    expect(readdirSync(cacheDir).some((f) => f.endsWith(".core.wasm"))).toBe(true);
    // Two configurations of one plugin, two workers: still one compilation, and both instances work.
    for (let i = 0; i < 4; i++) {
      expect((await rawRequest(first.url("/"))).json<{ headers: Record<string, string> }>().headers["x-order"]).toBe("a, b");
    }
    await first.close();

    const second = await startTestGateway(yaml);
    expect(loaderStats.inspections - before.inspections).toBe(1);
    expect(loaderStats.compilations - before.compilations).toBe(2);
    expect((await rawRequest(second.url("/"))).status).toBe(200);
  });

  it("names the YAML line of a policy entry that does not fit its plugin", async () => {
    const yaml = `plugins:\n${plugin("tag")}${route(`
          request:
            - { plugin: tga, with: { label: a } }
            - { plugin: tag, with: { lable: a } }
            - { plugin: tag, with: { label: a }, when: 'request.method ==' }`)}`;
    const start = startTestGateway(yaml);
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    const message = String(((await start.catch((e: unknown) => e)) as Error).message);
    expect(message).toMatch(/test\.yaml:\d+:\d+ .*policies\.request\[0\]\.plugin: unknown plugin "tga" \(did you mean "tag"\?\)/);
    expect(message).toMatch(/policies\.request\[1\]\.with: .*additional properties "lable"/);
    expect(message).toMatch(/policies\.request\[2\]\.when: invalid CEL condition/);
  });

  it("refuses to attach a plugin to a flow it does not handle", async () => {
    await expect(startTestGateway(`plugins:\n${plugin("respond")}${route("{ response: [ { plugin: respond, with: { status: 200 } } ] }")}`)).rejects.toThrow(
      /does not handle the response flow/,
    );
  });
});
