import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPolicy, maybeAnswerOf } from "@portcullis/sdk/testing";
import type { RequestInput } from "@portcullis/sdk/testing";
import { createJsonSchema } from "../../../host/src/capabilities/json-schema/json-schema-capability.js";

const wasmPath = fileURLToPath(new URL("../build/validate.wasm", import.meta.url));

const ORDER_SCHEMA = {
  type: "object",
  required: ["sku", "quantity"],
  properties: {
    sku: { type: "string", pattern: "^[A-Z]{3}-[0-9]{4}$" },
    quantity: { type: "integer", minimum: 1 },
    note: { type: "string", maxLength: 20 },
    lines: { type: "array", items: { type: "integer" } },
  },
  additionalProperties: false,
};

/** The policy with the host's real json-schema capability (ajv), `files` faked. */
async function policy(config: unknown, files: Record<string, string> = {}) {
  const p = await loadPolicy(wasmPath, { init: false, capabilities: { jsonSchema: createJsonSchema() } });
  for (const [path, text] of Object.entries(files)) p.fakes.files.set(path, new TextEncoder().encode(text));
  const initialised = p.init(config);
  return Object.assign(p, { initialised });
}

/** The direct response of `input`, or undefined when the request goes on. */
function answer(p: Awaited<ReturnType<typeof policy>>, input: RequestInput) {
  const answer = maybeAnswerOf(p.onRequest(input));
  return answer && { status: answer.status, headers: answer.headers, json: answer.json() };
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInput => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

describe("validate (unit)", () => {
  it("passes a valid body, and methods outside the list (GET by default) unvalidated", async () => {
    const p = await policy({ schema: ORDER_SCHEMA });
    expect(p.initialised).toEqual({ tag: "ok", val: undefined });
    expect(p.describe()).toMatchObject({ name: "validate", needsRequestBody: true, flows: ["request"] });
    expect(answer(p, json({ sku: "ABC-1234", quantity: 2 }))).toBeUndefined();
    expect(answer(p, json({ sku: "ABC-1234", quantity: 2 }, { "content-type": "application/vnd.shop+json; charset=utf-8" }))).toBeUndefined();
    expect(answer(p, { method: "GET", body: "not json" })).toBeUndefined();
    expect(answer(p, { ...json({ nope: 1 }), method: "PATCH" })?.status).toBe(400);
  });

  it("answers 400 BODY_INVALID with each violation's path and message", async () => {
    const p = await policy({ schema: ORDER_SCHEMA });
    const rejected = answer(p, json({ sku: "abc", quantity: 0, extra: true }))!;
    expect(rejected.status).toBe(400);
    expect(rejected.headers).toContainEqual({ name: "content-type", value: "application/json" });
    expect(rejected.json).toEqual({
      code: "BODY_INVALID",
      message: "the request body does not match the schema",
      violations: expect.arrayContaining([
        { path: "", message: "must NOT have additional properties" },
        { path: "/sku", message: 'must match pattern "^[A-Z]{3}-[0-9]{4}$"' },
        { path: "/quantity", message: "must be >= 1" },
      ]),
    });
  });

  it("caps the list by count and by size, cuts long paths, and never echoes the values", async () => {
    const many = await policy({ schema: ORDER_SCHEMA, maxViolations: 3 });
    const lines = Array.from({ length: 40 }, () => "x");
    const counted = answer(many, json({ sku: "ABC-1234", quantity: 1, lines }))!;
    expect(counted.json.violations).toHaveLength(3);
    expect(counted.json.omitted).toBe(37);

    const small = await policy({ schema: { type: "object", additionalProperties: { type: "integer" } }, maxErrorBytes: 512, maxViolations: 50 });
    const secret = "s3cr3t-".repeat(500);
    const longKey = "k".repeat(1000);
    const body: Record<string, string> = { [longKey]: secret };
    for (let i = 0; i < 30; i++) body[`field${i}`] = secret;
    const capped = answer(small, json(body))!;
    const text = JSON.stringify(capped.json);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(512);
    expect(text).not.toContain("s3cr3t");
    expect((capped.json.omitted as number) + (capped.json.violations as unknown[]).length).toBe(31);
    expect((capped.json.violations as Array<{ path: string }>)[0]!.path.length).toBeLessThan(210);
  });

  it("answers 400 BODY_NOT_JSON to malformed or empty JSON, 415 to another media type unless nonJson: pass", async () => {
    const p = await policy({ schema: ORDER_SCHEMA });
    expect(answer(p, json('{"sku": "ABC-1234",'))).toMatchObject({ status: 400, json: { code: "BODY_NOT_JSON" } });
    expect(answer(p, json(""))).toMatchObject({ status: 400, json: { code: "BODY_NOT_JSON" } });
    expect(answer(p, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" })).toMatchObject({
      status: 415,
      json: { code: "UNSUPPORTED_MEDIA_TYPE" },
    });
    expect(answer(p, { method: "PUT", body: "{}" })).toMatchObject({ status: 415 });
    expect(answer(p, { method: "POST", headers: { "content-type": "application/jsonp" }, body: "{}" })?.status).toBe(415);
    const lenient = await policy({ schema: ORDER_SCHEMA, nonJson: "pass" });
    expect(answer(lenient, { method: "POST", headers: { "content-type": "text/csv" }, body: "a,b" })).toBeUndefined();
    expect(answer(lenient, json({ sku: 1 }))?.status).toBe(400);
  });

  it("validates only the methods listed", async () => {
    const p = await policy({ schema: ORDER_SCHEMA, methods: ["DELETE"] });
    expect(answer(p, json({}))).toBeUndefined();
    expect(answer(p, { ...json({}), method: "DELETE" })).toMatchObject({ status: 400, json: { code: "BODY_INVALID" } });
  });

  it("enforces header bytes (431), query length (414) and body bytes (413), from Content-Length when declared", async () => {
    const p = await policy({ maxHeaderBytes: 100, maxQueryLength: 10, maxBodyBytes: 8 });
    expect(answer(p, { method: "POST", query: "a=1234567", headers: { "x-a": "v".repeat(60) }, body: "12345678" })).toBeUndefined();
    expect(answer(p, { headers: { "x-a": "v".repeat(60), "x-b": "v".repeat(30) } })).toMatchObject({ status: 431, json: { code: "HEADERS_TOO_LARGE" } });
    expect(answer(p, { query: "a=123456789" })).toMatchObject({ status: 414, json: { code: "QUERY_TOO_LONG" } });
    expect(answer(p, { method: "POST", body: "123456789" })).toMatchObject({ status: 413, json: { code: "BODY_TOO_LARGE" } });
    // the client's declared length decides even when fewer bytes were buffered
    expect(answer(p, { method: "POST", headers: { "content-length": "9000" }, body: "" })?.status).toBe(413);
    expect(answer(p, { method: "POST", headers: { "content-length": "8" }, body: "12345678" })).toBeUndefined();
  });

  it("reads the schema from an allowed file", async () => {
    const p = await policy({ schemaFile: "schemas/order.json" }, { "schemas/order.json": JSON.stringify(ORDER_SCHEMA) });
    expect(p.initialised.tag).toBe("ok");
    expect(answer(p, json({ sku: "ABC-1234" }))).toMatchObject({
      status: 400,
      json: { violations: [{ path: "", message: "must have required property 'quantity'" }] },
    });
  });

  it("refuses a schema that does not compile, a missing file, or both schema and schemaFile, naming the field", async () => {
    expect((await policy({ schema: { type: "object", properties: { a: { $ref: "#/$defs/missing" } } } })).initialised).toMatchObject({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/schema", message: expect.stringContaining("does not compile") } },
    });
    expect((await policy({ schemaFile: "broken.json" }, { "broken.json": "{ nope" })).initialised).toMatchObject({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/schemaFile", message: expect.stringContaining("does not compile") } },
    });
    expect((await policy({ schemaFile: "absent.json" })).initialised).toMatchObject({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/schemaFile", message: expect.stringContaining("cannot be read") } },
    });
    expect((await policy({ schema: {}, schemaFile: "x.json" })).initialised).toMatchObject({ tag: "err", val: { val: { path: "/schemaFile" } } });
  });
});

describe("validate (unit): body needs", () => {
  it("buffers the request body only for a schema or a body size limit", async () => {
    const needs = async (config: unknown) => (await loadPolicy(wasmPath, { config, capabilities: { jsonSchema: createJsonSchema() } })).initInfo;
    expect(await needs({ maxHeaderBytes: 8192, maxQueryLength: 100 })).toEqual({ requestBody: "none", responseBody: "none" });
    expect(await needs({ maxBodyBytes: 10 })).toEqual({ requestBody: "whole", responseBody: "none" });
    expect(await needs({ schema: ORDER_SCHEMA })).toEqual({ requestBody: "whole", responseBody: "none" });
  });
});
