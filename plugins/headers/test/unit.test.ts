import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fakeExpressions as fakeSdkExpressions, loadPolicy } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/headers.wasm", import.meta.url));

const fakeExpressions = (results: Record<string, string>) => fakeSdkExpressions(results, (source) => source.includes("((("));

async function policy(config: unknown, results: Record<string, string> = {}) {
  return loadPolicy(wasmPath, { config, capabilities: { expression: fakeExpressions(results) } });
}

describe("headers (unit)", () => {
  it("describes itself for the request and response flows with a strict schema", async () => {
    const p = await policy({ set: { a: "b" } });
    const descriptor = p.describe();
    expect(descriptor).toMatchObject({ name: "headers", flows: ["request", "response"], needsRequestBody: false });
    const schema = JSON.parse(descriptor.configSchema);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.$defs.name.pattern).toBe("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$");
    expect(new RegExp(schema.$defs.fields.additionalProperties.oneOf[0].pattern, "u").test("a\r\nb")).toBe(false);
    expect(new RegExp(schema.$defs.fields.additionalProperties.oneOf[0].pattern, "u").test("fine\tvalue é")).toBe(true);
  });

  it("removes, then sets, then appends, with names lower-cased", async () => {
    const p = await policy({ remove: ["X-Internal"], set: { "X-Env": "prod" }, append: { via: "portcullis" } });
    expect(
      p.onRequest({
        headers: [
          ["x-internal", "1"],
          ["x-internal", "2"],
          ["via", "1.1 edge"],
        ],
      }),
    ).toEqual({
      tag: "ok",
      val: {
        tag: "continue",
        val: expect.objectContaining({
          headers: [
            { tag: "remove", val: "x-internal" },
            { tag: "set", val: { name: "x-env", value: "prod" } },
            { tag: "append", val: { name: "via", value: "portcullis" } },
          ],
        }),
      },
    });
  });

  it("edits the response in the response flow", async () => {
    const p = await policy({ set: { "x-served-by": "products" }, remove: ["server"] });
    expect(p.onResponse({ status: 502, headers: { server: "nginx" } })).toMatchObject({
      tag: "ok",
      val: {
        tag: "continue",
        val: {
          headers: [
            { tag: "remove", val: "server" },
            { tag: "set", val: { name: "x-served-by", value: "products" } },
          ],
        },
      },
    });
  });

  it("takes values from expressions: strings as they are, numbers as JSON, null and evaluation errors skip the field", async () => {
    const p = await policy(
      {
        set: {
          "x-consumer": { expression: "metadata.consumer" },
          "x-limit": { expression: "metadata.limit" },
          "x-none": { expression: "metadata.none" },
          "x-missing": { expression: "metadata.missing" },
        },
      },
      { "metadata.consumer": '"alice"', "metadata.limit": "1000", "metadata.none": "null" },
    );
    const result = p.onRequest({});
    expect(result).toMatchObject({ tag: "ok", val: { tag: "continue" } });
    const headers = (result as { val: { val: { headers: unknown[] } } }).val.val.headers;
    expect(headers).toEqual([
      { tag: "set", val: { name: "x-consumer", value: "alice" } },
      { tag: "set", val: { name: "x-limit", value: "1000" } },
    ]);
  });

  it("answers 400 HEADER_VALUE_INVALID, without the value, when an expression gives CR/LF or a control character", async () => {
    for (const bad of ['"a\\r\\nx-admin: 1"', '"nul\\u0000"', '"euro \\u20ac"']) {
      const p = await policy({ set: { "x-user": { expression: "request.query.user" } } }, { "request.query.user": bad });
      const result = p.onRequest({});
      expect(result).toMatchObject({ tag: "ok", val: { tag: "respond", val: { status: 400 } } });
      const body = JSON.parse(Buffer.from((result as { val: { val: { body: Uint8Array } } }).val.val.body).toString());
      expect(body).toEqual({ code: "HEADER_VALUE_INVALID", header: "x-user" });
    }
  });

  it("refuses invalid names and values at init, naming the field", async () => {
    const p = await policy({ set: { a: "b" } }, {});
    const cases: Array<[unknown, string]> = [
      [{ set: { "bad name": "v" } }, "/set/bad name"],
      [{ set: { "x-a": "line\r\nbreak" } }, "/set/x-a"],
      [{ append: { "x-a": "tab\tok\u0007bell" } }, "/append/x-a"],
      [{ remove: ["ok", "bad:colon"] }, "/remove/1"],
      [{ set: { "Content-Length": "0" } }, "/set/Content-Length"],
      [{ set: { "x-a": { expression: "(((" } } }, "/set/x-a/expression"],
      [{ set: { "x-a": { other: 1 } } }, "/set/x-a/expression"],
      [{ set: { "x-a": 5 } }, "/set/x-a"],
    ];
    for (const [config, path] of cases) {
      expect(p.init(config), JSON.stringify(config)).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    }
  });
});
