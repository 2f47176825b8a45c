import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "@portcullis/sdk/testing";
import { answerOf } from "@portcullis/sdk/testing";
import { fakeExpressions } from "./fake-expressions.js";

const wasmPath = fileURLToPath(new URL("../build/direct-response.wasm", import.meta.url));

async function policy(config: unknown, results: Record<string, string> = {}) {
  return loadPolicy(wasmPath, { config, capabilities: { expression: fakeExpressions(results) } });
}

describe("direct-response (unit)", () => {
  it("describes itself for the request flow with a strict schema", async () => {
    const p = await policy({});
    expect(p.describe()).toMatchObject({ name: "direct-response", flows: ["request"], needsRequestBody: false });
    const schema = JSON.parse(p.describe().configSchema);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.status).toEqual({ type: "integer", minimum: 200, maximum: 599 });
    expect(schema.not).toEqual({ required: ["body", "json"] });
  });

  it("answers 200 with an empty body by default", async () => {
    const p = await policy({});
    expect(answerOf(p.onRequest({ path: "/x" }))).toEqual({ status: 200, headers: [], body: "" });
  });

  it("answers with the status, headers and a text body; a configured content-type replaces the default", async () => {
    const p = await policy({ status: 503, headers: { "Retry-After": "3600" }, body: "Down for maintenance" });
    expect(answerOf(p.onRequest({}))).toEqual({
      status: 503,
      headers: [
        { name: "content-type", value: "text/plain; charset=utf-8" },
        { name: "retry-after", value: "3600" },
      ],
      body: "Down for maintenance",
    });
    const html = await policy({ headers: { "content-type": "text/html" }, body: "<h1>Soon</h1>" });
    expect(answerOf(html.onRequest({})).headers).toEqual([{ name: "content-type", value: "text/html" }]);
  });

  it("sends the json option as compact JSON with application/json", async () => {
    const p = await policy({ status: 201, json: { id: 7, tags: ["a"], ok: true } });
    const response = answerOf(p.onRequest({}));
    expect(response.status).toBe(201);
    expect(response.headers).toEqual([{ name: "content-type", value: "application/json" }]);
    expect(JSON.parse(response.body)).toEqual({ id: 7, tags: ["a"], ok: true });
    expect(answerOf((await policy({ json: [] })).onRequest({})).body).toBe("[]");
  });

  it("templates the body and header values from expressions: strings as text, objects as JSON", async () => {
    const p = await policy(
      {
        headers: { "x-path": { expression: "request.path" }, "x-none": { expression: "metadata.none" }, "x-missing": { expression: "metadata.missing" } },
        body: { expression: "mock" },
      },
      { "request.path": '"/users/7"', "metadata.none": "null", mock: '{"id":"7","path":"/users/7"}' },
    );
    expect(answerOf(p.onRequest({}))).toEqual({
      status: 200,
      headers: [
        { name: "content-type", value: "application/json" },
        { name: "x-path", value: "/users/7" },
      ],
      body: '{"id":"7","path":"/users/7"}',
    });
    const text = await policy({ body: { expression: "greeting" } }, { greeting: '"hello /users/7"' });
    expect(answerOf(text.onRequest({}))).toMatchObject({ headers: [{ name: "content-type", value: "text/plain; charset=utf-8" }], body: "hello /users/7" });
  });

  it("sends an empty body when the body expression is null or fails", async () => {
    const p = await policy({ status: 404, body: { expression: "metadata.missing" } });
    expect(answerOf(p.onRequest({}))).toEqual({ status: 404, headers: [], body: "" });
  });

  it("answers 400 HEADER_VALUE_INVALID, without the value, when an expression gives CR/LF", async () => {
    const p = await policy({ headers: { "x-user": { expression: "request.query.user" } }, body: "mock" }, { "request.query.user": '"a\\r\\nset-cookie: x=1"' });
    const response = answerOf(p.onRequest({}));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ code: "HEADER_VALUE_INVALID", header: "x-user" });
  });

  it("refuses invalid configurations at init, naming the field", async () => {
    const p = await policy({});
    const cases: Array<[unknown, string]> = [
      [{ status: 99 }, "/status"],
      [{ status: 600 }, "/status"],
      [{ status: 204, body: "x" }, "/status"],
      [{ body: "x", json: {} }, "/json"],
      [{ headers: { "bad name": "v" } }, "/headers/bad name"],
      [{ headers: { "x-a": "one\r\ntwo" } }, "/headers/x-a"],
      [{ headers: { "Content-Length": "1" } }, "/headers/Content-Length"],
      [{ headers: { "x-a": { expression: "(((" } } }, "/headers/x-a/expression"],
      [{ body: { expression: "(((" } }, "/body/expression"],
      [{ body: { other: 1 } }, "/body/expression"],
    ];
    for (const [config, path] of cases) {
      expect(p.init(config), JSON.stringify(config)).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    }
  });
});
