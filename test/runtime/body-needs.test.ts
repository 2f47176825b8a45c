import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";
import { plugin } from "./support/policies.js";

afterEach(stopAll);

const FIVE_MIB = 5 * 1024 * 1024;
const firstParty = (name: string, capabilities: string) =>
  `  ${name}:\n    path: ${fileURLToPath(new URL(`../../plugins/${name}/build/${name}.wasm`, import.meta.url))}\n    capabilities: ${capabilities}\n`;

async function bigResponseThrough(pluginYaml: string, policies: string) {
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=60" });
    res.end(Buffer.alloc(FIVE_MIB, 0x20));
  });
  const gateway = await startTestGateway(`
plugins:
${pluginYaml}
${routesYaml(`
      - name: big
        match: { path: { prefix: / } }
        policies: ${policies}
        backend: { url: ${upstream.url} }`)}
`);
  return rawRequest(gateway.url("/files/big"));
}

describe("body needs per configuration (5 MiB responses, 1 MiB buffering limit)", () => {
  it("streams a large response through a transform that only rewrites the path", async () => {
    const response = await bigResponseThrough(
      firstParty("transform", "{ expression: true, regex: true }"),
      `{ request: [ { plugin: transform, with: { request: { path: { prefix: /files, to: /v2 } } } } ], response: [ { plugin: transform, with: { request: { path: { prefix: /files, to: /v2 } } } } ] }`,
    );
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(FIVE_MIB);
  });

  it("passes a response too large to cache through, uncached, with detail=too-large", async () => {
    const response = await bigResponseThrough(
      firstParty("cache", "{ kv: true, crypto: true, clock: true, expression: true }"),
      `{ request: [ { plugin: cache } ], response: [ { plugin: cache } ] }`,
    );
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(FIVE_MIB);
    expect(response.headers["cache-status"]).toBe("portcullis; fwd=uri-miss; detail=too-large");
  });

  it("still fails closed with data-mask, which must see every body", async () => {
    const response = await bigResponseThrough(
      firstParty("data-mask", "{ regex: true }"),
      `{ response: [ { plugin: data-mask, with: { rules: [ { field: iban } ] } } ] }`,
    );
    expect(response.status).toBe(502);
    expect(response.json()).toMatchObject({ code: "PCS_ERR_RESPONSE_TOO_LARGE" });
  });

  it("does not buffer the request body for validate with header limits only: the upload reaches the upstream before it ends", async () => {
    const upstream = await startUpstream((req, res) => {
      req.once("data", () => res.end("first chunk arrived")); // answers before the upload has ended
    });
    const gateway = await startTestGateway(`
plugins:
${firstParty("validate", `{ json-schema: true, files: { allow: ["schemas/"] } }`)}
${routesYaml(`
      - name: upload
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: validate, with: { maxHeaderBytes: 8192 } } ] }
        backend: { url: ${upstream.url} }`)}
`);
    const url = new URL(gateway.url("/upload"));
    const upload = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: { "transfer-encoding": "chunked" },
      agent: false,
    });
    const answered = new Promise<string>((resolve, reject) => {
      upload.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks).toString()));
      });
      upload.on("error", reject);
    });
    upload.write("first chunk of a long upload");
    const buffered = new Promise<string>((resolve) => setTimeout(resolve, 10_000, "no answer while the upload was open"));
    expect(await Promise.race([answered, buffered])).toBe("first chunk arrived");
    upload.destroy();
  });
});

describe("body needs reported at warm-up", () => {
  it("marks an instance whose init answers differently from warm-up, in /plugins, and keeps bodies as warm-up said", async () => {
    const gateway = await startTestGateway(`
plugins:
${plugin("fickle", "    capabilities: { counters: true }\n")}
runtime: { workers: 1 }
${routesYaml(`
      - name: fickle
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: fickle } ] }
        backend: { echo: true }`)}
`);
    const plugins = async () => (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/plugins`)).json() as Record<string, { bodyNeeds: unknown[] }>;
    expect((await plugins()).fickle!.bodyNeeds).toEqual([{ requestBody: "none", responseBody: "none" }]);
    expect((await rawRequest(gateway.url("/"), { headers: { "x-fickle": "trap" } })).status).toBe(500);
    const after = await rawRequest(gateway.url("/"), { method: "POST", body: "data" });
    expect(after.status).toBe(200);
    expect(after.json()).toMatchObject({ headers: { "x-fickle-saw-body": "no" } });
    expect((await plugins()).fickle!.bodyNeeds).toEqual([{ requestBody: "none", responseBody: "none", mismatch: true }]);
  });

  it("counts an init answer beyond the descriptor as a warm-up failure", async () => {
    const { exceedsDescriptor } = await import("../../host/src/runtime/body-needs.js");
    expect(exceedsDescriptor({ requestBody: "whole", responseBody: "none" }, { needsRequestBody: false, needsResponseBody: false })).toMatch(
      /request-body: whole/,
    );
    expect(exceedsDescriptor({ requestBody: "whole-if-fits", responseBody: "none" }, { needsRequestBody: true, needsResponseBody: false })).toBeUndefined();
  });
});
