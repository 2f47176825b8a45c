import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { recordingUpstream, type RecordingUpstream } from "../../../test/support/recording-upstream.js";
import { rawRequest, stopAll, track } from "../../../test/support/servers.js";

afterEach(stopAll);

const wasm = fileURLToPath(new URL("../build/validate.wasm", import.meta.url));

/** The bodies that reached the upstream: an invalid one must never arrive. */
const bodiesOf = (upstream: RecordingUpstream) => upstream.received.map((request) => request.body);

const ORDER_SCHEMA = `{ type: object, required: [sku, quantity], additionalProperties: false, properties: { sku: { type: string }, quantity: { type: integer, minimum: 1 } } }`;

function config(upstreamUrl: string, withBlock: string, extra = "", files: string[] = []): string {
  return `plugins:
  validate:
    path: ${wasm}
    capabilities: { json-schema: true, files: { allow: ${JSON.stringify(files)} } }
${extra}${routesYaml(`
      - name: orders
        policies:
          request: [ { plugin: validate, with: ${withBlock} } ]
        backend: { url: "${upstreamUrl}" }`)}`;
}

const post = (url: string, body: string | Buffer | AsyncIterable<Buffer>, headers: Record<string, string> = { "content-type": "application/json" }) =>
  rawRequest(url, { method: "POST", headers, body });

async function* chunks(total: number): AsyncIterable<Buffer> {
  for (let sent = 0; sent < total; sent += 100) yield Buffer.alloc(Math.min(100, total - sent), "a");
}

describe("validate (gateway)", () => {
  it("forwards a valid body untouched; invalid, malformed and non-JSON bodies never reach the upstream", async () => {
    const upstream = await recordingUpstream();
    const gateway = await startTestGateway(config(upstream.url, `{ schema: ${ORDER_SCHEMA}, maxViolations: 2 }`));
    const valid = '{"sku":"ABC-1","quantity":3}';
    expect((await post(gateway.url("/orders"), valid)).status).toBe(200);
    expect(bodiesOf(upstream)).toEqual([valid]);

    const invalid = await post(gateway.url("/orders"), '{"sku":7,"quantity":0,"x":1}');
    expect(invalid.status).toBe(400);
    expect(invalid.json()).toEqual({
      code: "BODY_INVALID",
      message: "the request body does not match the schema",
      violations: [expect.objectContaining({ path: expect.any(String) }), expect.objectContaining({ message: expect.any(String) })],
      omitted: 1,
    });
    expect((await post(gateway.url("/orders"), '{"sku": "A",')).json()).toMatchObject({ code: "BODY_NOT_JSON" });
    const text = await post(gateway.url("/orders"), "sku=A", { "content-type": "application/x-www-form-urlencoded" });
    expect(text.status).toBe(415);
    expect(text.json()).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });
    expect(bodiesOf(upstream)).toHaveLength(1);
    expect((await rawRequest(gateway.url("/orders"))).status).toBe(200); // GET is not validated
  });

  it("413 from its own limit by Content-Length or by the chunked body; the runtime's buffer limit answers first above it", async () => {
    const upstream = await recordingUpstream();
    const gateway = await startTestGateway(config(upstream.url, "{ maxBodyBytes: 300 }", "runtime: { maxBodyBytes: 1000 }\n"));
    expect((await post(gateway.url("/"), Buffer.alloc(300, "a"), { "content-type": "text/plain" })).status).toBe(200);
    const declared = await post(gateway.url("/"), Buffer.alloc(301, "a"), { "content-type": "text/plain" });
    expect(declared.status).toBe(413);
    expect(declared.json()).toMatchObject({ code: "BODY_TOO_LARGE" });
    const chunked = await post(gateway.url("/"), chunks(500), { "content-type": "text/plain" });
    expect(chunked.status).toBe(413);
    expect(chunked.json()).toMatchObject({ code: "BODY_TOO_LARGE" });
    const beyondBuffer = await post(gateway.url("/"), chunks(5000), { "content-type": "text/plain" });
    expect(beyondBuffer.status).toBe(413);
    expect(beyondBuffer.json()).toMatchObject({ code: "PCS_ERR_BODY_TOO_LARGE" });
    expect(bodiesOf(upstream)).toEqual(["a".repeat(300)]);
  });

  it("431 past the header bytes and 414 past the query length", async () => {
    const upstream = await recordingUpstream();
    const gateway = await startTestGateway(config(upstream.url, "{ maxHeaderBytes: 600, maxQueryLength: 20 }"));
    const big = await rawRequest(gateway.url("/"), { headers: { "x-filler": "f".repeat(700) } });
    expect(big.status).toBe(431);
    expect(big.json()).toMatchObject({ code: "HEADERS_TOO_LARGE" });
    const long = await rawRequest(gateway.url(`/?q=${"x".repeat(30)}`));
    expect(long.status).toBe(414);
    expect(long.json()).toMatchObject({ code: "QUERY_TOO_LONG" });
    expect((await rawRequest(gateway.url("/?q=short"))).status).toBe(200);
    expect(bodiesOf(upstream)).toHaveLength(1);
  });

  it("validates against a schema file granted through `files`", async () => {
    const dir = mkdtempSync(join(tmpdir(), "validate-schemas-"));
    track(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "order.json"), JSON.stringify({ type: "object", required: ["sku"] }));
    const upstream = await recordingUpstream();
    const gateway = await startTestGateway(config(upstream.url, `{ schemaFile: ${join(dir, "order.json")} }`, "", [`${dir}/`]));
    expect((await post(gateway.url("/"), "{}")).json()).toEqual({
      code: "BODY_INVALID",
      message: "the request body does not match the schema",
      violations: [{ path: "", message: "must have required property 'sku'" }],
    });
    expect((await post(gateway.url("/"), '{"sku":"A"}')).status).toBe(200);
    expect(bodiesOf(upstream)).toEqual(['{"sku":"A"}']);
  });

  it("refuses to start with an inline schema that is not a JSON Schema, naming the line", async () => {
    const start = startTestGateway(config("http://127.0.0.1:9", "{ schema: { type: strng } }"));
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    await expect(start).rejects.toThrow(/test\.yaml:\d+:\d+ .*policies\.request\[0\]\.with\.schema/);
  });

  it("refuses to start with a schema that does not compile or a schema file that is missing, naming the line", async () => {
    const unresolvable = startTestGateway(config("http://127.0.0.1:9", '{ schema: { $ref: "#/$defs/missing" } }'));
    await expect(unresolvable).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    await expect(unresolvable).rejects.toThrow(/test\.yaml:\d+:\d+ .*policies\.request\[0\]\.with: .*does not compile/);
    const dir = mkdtempSync(join(tmpdir(), "validate-schemas-"));
    track(async () => rmSync(dir, { recursive: true, force: true }));
    const missing = startTestGateway(config("http://127.0.0.1:9", `{ schemaFile: ${join(dir, "absent.json")} }`, "", [`${dir}/`]));
    await expect(missing).rejects.toThrow(/test\.yaml:\d+:\d+ .*policies\.request\[0\]\.with: .*schemaFile/);
  });
});
