import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { answerOf, fakeExpressions, loadPolicy } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/redirect.wasm", import.meta.url));

/** Expressions evaluate to `results`; a source with "(((" does not compile. */
async function policy(config: unknown, results: Record<string, string> = {}) {
  const expression = fakeExpressions(results, (source) => source.includes("((("));
  return loadPolicy(wasmPath, { config, capabilities: { expression } });
}

const locationOf = (result: Parameters<typeof answerOf>[0]) => answerOf(result).header("location");

describe("redirect (unit)", () => {
  it("describes itself for the request flow with a strict schema", async () => {
    const p = await policy({ location: "/new" });
    expect(p.describe()).toMatchObject({ name: "redirect", flows: ["request"], needsRequestBody: false });
    const schema = JSON.parse(p.describe().configSchema);
    expect(schema).toMatchObject({
      required: ["location"],
      additionalProperties: false,
      properties: { status: { enum: [301, 302, 307, 308] }, query: { enum: ["keep", "drop"] } },
    });
    const literal = new RegExp(schema.properties.location.oneOf[0].pattern, "u");
    expect(literal.test("https://example.com/a?b=1")).toBe(true);
    expect(literal.test("/a\r\nset-cookie: x=1")).toBe(false);
  });

  it("answers 302 by default with the location, an empty body and the query kept", async () => {
    const p = await policy({ location: "https://new.example.com/shop" });
    expect(answerOf(p.onRequest({ path: "/old", query: "page=2&q=a%20b" }))).toEqual({
      status: 302,
      headers: [{ name: "location", value: "https://new.example.com/shop?page=2&q=a%20b" }],
      body: "",
    });
    expect(locationOf(p.onRequest({ path: "/old" }))).toBe("https://new.example.com/shop");
  });

  it("uses each allowed status", async () => {
    for (const status of [301, 302, 307, 308]) {
      expect(answerOf((await policy({ status, location: "/x" })).onRequest({})).status).toBe(status);
    }
  });

  it("joins the query to the location's own query and keeps a fragment last", async () => {
    expect(locationOf((await policy({ location: "/new?lang=en" })).onRequest({ query: "a=1" }))).toBe("/new?lang=en&a=1");
    expect(locationOf((await policy({ location: "/new?" })).onRequest({ query: "a=1" }))).toBe("/new?a=1");
    expect(locationOf((await policy({ location: "/docs#intro" })).onRequest({ query: "a=1" }))).toBe("/docs?a=1#intro");
  });

  it("drops the query when told to", async () => {
    const p = await policy({ status: 301, location: "/home", query: "drop" });
    expect(locationOf(p.onRequest({ query: "utm_source=x" }))).toBe("/home");
  });

  it("takes the location from an expression", async () => {
    const p = await policy({ status: 308, location: { expression: "target" } }, { target: '"https://v2.example.com/api/users/7"' });
    const response = answerOf(p.onRequest({ query: "x=1" }));
    expect([response.status, locationOf(p.onRequest({ query: "x=1" }))]).toEqual([308, "https://v2.example.com/api/users/7?x=1"]);
  });

  it("answers 400 REDIRECT_LOCATION_INVALID for an expression giving CR/LF, a non-string, null or an error", async () => {
    const results = { crlf: '"/a\\r\\nset-cookie: admin=1"', number: "7", nothing: "null", empty: '""' };
    for (const source of ["crlf", "number", "nothing", "empty", "missing"]) {
      const response = answerOf((await policy({ location: { expression: source } }, results)).onRequest({}));
      expect([response.status, JSON.parse(response.body)], source).toEqual([400, { code: "REDIRECT_LOCATION_INVALID" }]);
      expect(response.headers.some((h) => h.name === "location")).toBe(false);
    }
  });

  it("refuses invalid statuses and locations at init, naming the field", async () => {
    const p = await policy({ location: "/x" });
    const cases: Array<[unknown, string]> = [
      [{ location: "/x", status: 303 }, "/status"],
      [{ location: "/x", status: 200 }, "/status"],
      [{ location: "/x", query: "merge" }, "/query"],
      [{}, "/location"],
      [{ location: "" }, "/location"],
      [{ location: "/a\r\nset-cookie: x=1" }, "/location"],
      [{ location: "/a b" }, "/location"],
      [{ location: { expression: "(((" } }, "/location/expression"],
      [{ location: { other: 1 } }, "/location/expression"],
    ];
    for (const [config, path] of cases) {
      expect(p.init(config), JSON.stringify(config)).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    }
  });
});
