import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fakeExpressions, loadPolicy, type RequestInput, type ResponseInput } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/transform.wasm", import.meta.url));

async function policy(config: unknown, results: Record<string, string> = {}) {
  return loadPolicy(wasmPath, { config, capabilities: { expression: fakeExpressions(results, (s) => s.includes("(((")) } });
}

type Edits = { method?: string; path?: string; query?: string; headers: unknown[]; body?: Uint8Array };

async function request(config: unknown, input: RequestInput, results: Record<string, string> = {}): Promise<Edits> {
  const result = (await policy(config, results)).onRequest(input);
  if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error(JSON.stringify(result));
  return result.val.val as Edits;
}

const text = (body: Uint8Array | undefined) => (body === undefined ? undefined : new TextDecoder().decode(body));
const json = { "content-type": "application/json" };

async function initError(config: unknown) {
  const p = await loadPolicy(wasmPath, { init: false, capabilities: { expression: fakeExpressions({}, (s) => s.includes("(((")) } });
  return p.init(config);
}

describe("transform (unit): describe and configuration", () => {
  it("handles both flows, needs both bodies and has a strict schema", async () => {
    const descriptor = (await policy({ request: { method: "POST" } })).describe();
    expect(descriptor).toMatchObject({ name: "transform", flows: ["request", "response"], needsRequestBody: true, needsResponseBody: true });
    const schema = JSON.parse(descriptor.configSchema);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.invalidBody.enum).toEqual(["pass", "reject"]);
  });

  it.each([
    [{ request: { path: { template: "/users/{id}/{id}", to: "/x" } } }, "/request/path/template", "uses {id} twice"],
    [{ request: { path: { template: "/users/{rest*}/x", to: "/x" } } }, "/request/path/template", "only as its last segment"],
    [{ request: { path: { template: "/users/a{id}", to: "/x" } } }, "/request/path/template", "invalid placeholder"],
    [{ request: { path: { template: "/users/{id}", to: "/v2/{user}" } } }, "/request/path/to", 'does not define: "{user}"'],
    [{ request: { path: { expression: "(((" } } }, "/request/path/expression", "does not compile"],
    [{ request: { path: { regex: "^/(?=x)", to: "/" } } }, "/request/path/regex", "invalid pattern"],
    [{ request: { path: { regex: "^/(a)$", to: "/$2" } } }, "/request/path/to", 'no group "2"'],
    [{ request: { path: { regex: "^/(?P<a>a)$", to: "/${b}" } } }, "/request/path/to", 'no group "b"'],
    [{ request: { body: { remove: ["$.a", "$.b["] } } }, "/request/body/remove/1", "unterminated '[' at offset 4"],
    [{ request: { body: { remove: ["$"] } } }, "/request/body/remove/0", "not the whole document"],
    [{ response: { body: { rename: [{ path: "$.items[*]", to: "x" }] } } }, "/response/body/rename/0/path", "must end with a member name"],
    [{ response: { body: { set: [{ path: "$.a", expression: "(((" }] } } }, "/response/body/set/0/expression", "does not compile"],
    [{ request: { query: { set: { a: { expression: "(((" } } } } }, "/request/query/set/a/expression", "does not compile"],
  ])("refuses %j at init, naming the field", async (config, path, message) => {
    const result = await initError(config);
    expect(result).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    expect((result as { val: { val: { message: string } } }).val.val.message).toContain(message);
  });
});

describe("transform (unit): path and method", () => {
  it("replaces a prefix on whole segments only, and leaves other paths alone", async () => {
    const config = { request: { path: { prefix: "/api/v1", to: "/v1/" } } };
    expect((await request(config, { path: "/api/v1/users/7" })).path).toBe("/v1/users/7");
    expect((await request(config, { path: "/api/v1" })).path).toBe("/v1");
    expect((await request(config, { path: "/api/v10/users" })).path).toBeUndefined();
    expect((await request(config, { path: "/other" })).path).toBeUndefined();
    expect((await request({ request: { path: { prefix: "/", to: "/svc" } } }, { path: "/a/b" })).path).toBe("/svc/a/b");
    expect((await request({ request: { path: { prefix: "/legacy", to: "/" } } }, { path: "/legacy" })).path).toBe("/");
  });

  it("fills a segment template with captures (kept percent-encoded) and a rest capture", async () => {
    const config = { request: { path: { template: "/users/{id}/orders/{rest*}", to: "/v2/people/{id}/{rest}" } } };
    expect((await request(config, { path: "/users/a%20b/orders/9/items" })).path).toBe("/v2/people/a%20b/9/items");
    expect((await request(config, { path: "/users/7/orders" })).path).toBe("/v2/people/7/");
    expect((await request(config, { path: "/users//orders/1" })).path).toBeUndefined();
    expect((await request(config, { path: "/people/7/orders/1" })).path).toBeUndefined();
    const exact = { request: { path: { template: "/users/{id}", to: "/v2/people/{id}" } } };
    expect((await request(exact, { path: "/users/42" })).path).toBe("/v2/people/42");
    expect((await request(exact, { path: "/users/42/extra" })).path).toBeUndefined();
  });

  it("rewrites by regex with numbered and named captures, every match, and leaves a path that does not match", async () => {
    const config = { request: { path: { regex: "^/api/v1/(?P<rest>.*)$", to: "/v2/${rest}" } } };
    expect((await request(config, { path: "/api/v1/users/7" })).path).toBe("/v2/users/7");
    expect((await request(config, { path: "/api/v2/users" })).path).toBeUndefined();
    const every = { request: { path: { regex: "/_(\\w+)", to: "/$1" } } };
    expect((await request(every, { path: "/_a/b/_c" })).path).toBe("/a/b/c");
    const caseless = { request: { path: { regex: "(?i)^/LEGACY/(.*)$", to: "/$$v1/$1" } } };
    expect((await request(caseless, { path: "/legacy/x" })).path).toBe("/$v1/x");
  });

  it("fails (500) when a regex rewrite gives something that is not a clean path", async () => {
    for (const to of ["v2/$1", "/$1?x=1"]) {
      const p = await policy({ request: { path: { regex: "^/(.*)$", to } } });
      expect(p.onRequest({ path: "/a" })).toMatchObject({ tag: "err", val: { tag: "internal", val: expect.stringContaining("regex rewrite") } });
    }
  });

  it("takes the path from an expression, and fails (500) on a result that is not a clean path", async () => {
    const config = { request: { path: { expression: "path" } } };
    expect((await request(config, {}, { path: '"/v2/x"' })).path).toBe("/v2/x");
    for (const bad of ['"v2"', '"/a?b=1"', '"/a b"', "42", undefined]) {
      const p = await policy(config, bad === undefined ? {} : { path: bad });
      expect(p.onRequest({})).toMatchObject({ tag: "err", val: { tag: "internal" } });
    }
  });

  it("sets the method", async () => {
    expect((await request({ request: { method: "PUT" } }, { method: "POST" })).method).toBe("PUT");
  });
});

describe("transform (unit): query", () => {
  const config = {
    request: { query: { remove: ["debug"], set: { version: "2", user: { expression: "consumer" } }, add: { tag: "a b&c", none: { expression: "missing" } } } },
  };

  it("removes every repetition, sets in place of the first, adds at the end, and keeps the rest byte for byte", async () => {
    const edits = await request(config, { query: "x=%41%2b&debug=1&version=1&y&debug=2&version=0&z=%zz" }, { consumer: '"alice"' });
    expect(edits.query).toBe("x=%41%2b&version=2&y&z=%zz&user=alice&tag=a%20b%26c");
  });

  it("compares names after decoding, and skips values whose expression fails", async () => {
    const edits = await request(config, { query: "de%62ug=1&ver+sion=5" }, {});
    expect(edits.query).toBe("ver+sion=5&version=2&tag=a%20b%26c");
  });

  it("leaves the query alone when nothing changes", async () => {
    expect((await request({ request: { query: { remove: ["nope"] } } }, { query: "a=1&a=2" })).query).toBeUndefined();
  });
});

describe("transform (unit): JSON bodies", () => {
  const edits = {
    remove: ["$.internal", "$.items[*].cost"],
    rename: [{ path: "$.fullName", to: "name" }],
    set: [
      { path: "$.meta.source", value: "gateway" },
      { path: "$.meta.consumer", expression: "consumer" },
      { path: "$.meta.skip", expression: "missing" },
    ],
  };
  const body = '{"fullName":"Ada","internal":true,"amount":1.10,"items":[{"id":1,"cost":3},{"id":2}]}';
  const expected = '{"name":"Ada","amount":1.10,"items":[{"id":1},{"id":2}],"meta":{"source":"gateway","consumer":"alice"}}';

  it.each(["application/json", "application/json; charset=utf-8", "application/problem+json", "Application/JSON ;charset=UTF-8"])(
    "edits a request body of type %s (remove, rename, set), keeping numbers as written",
    async (contentType) => {
      const result = await request({ request: { body: edits } }, { headers: { "content-type": contentType }, body }, { consumer: '"alice"' });
      expect(text(result.body)).toBe(expected);
    },
  );

  it("gives each request a fresh copy of a literal value", async () => {
    const p = await policy(
      {
        request: {
          body: {
            set: [
              { path: "$.meta", value: { v: 1 } },
              { path: "$.meta.n", expression: "n" },
            ],
          },
        },
      },
      { n: "5" },
    );
    for (let i = 0; i < 2; i++) {
      const result = p.onRequest({ headers: json, body: "{}" });
      expect(text((result as { val: { val: Edits } }).val.val.body)).toBe('{"meta":{"v":1,"n":5}}');
    }
  });

  it("leaves an empty body alone", async () => {
    expect((await request({ request: { body: edits }, invalidBody: "reject" }, { headers: json, body: "" })).body).toBeUndefined();
    expect((await request({ request: { body: edits }, invalidBody: "reject" }, { headers: json })).body).toBeUndefined();
  });

  it("passes a non-JSON body through untouched by default", async () => {
    for (const input of [{ headers: { "content-type": "text/plain" }, body: "{}" }, { headers: json, body: "{not json" }, { body: "{}" }]) {
      expect((await request({ request: { body: edits } }, input)).body).toBeUndefined();
    }
  });

  it("answers 400 TRANSFORM_BODY_NOT_JSON for a non-JSON request body when configured to reject", async () => {
    const p = await policy({ request: { body: edits }, invalidBody: "reject" });
    for (const input of [
      { headers: { "content-type": "text/plain" }, body: "{}" },
      { headers: json, body: "{not json" },
    ]) {
      const result = p.onRequest(input);
      expect(result).toMatchObject({ tag: "ok", val: { tag: "respond", val: { status: 400 } } });
      expect(text((result as { val: { val: { body: Uint8Array } } }).val.val.body)).toBe('{"code":"TRANSFORM_BODY_NOT_JSON"}');
    }
  });

  it("edits response bodies, asks upstream for unencoded bodies, and rejects (502) an encoded one when configured", async () => {
    const config = { response: { body: { remove: ["$.secret"] } }, invalidBody: "reject" };
    const p = await policy(config);
    expect((await request(config, {})).headers).toEqual([{ tag: "set", val: { name: "accept-encoding", value: "identity" } }]);
    const response = (input: ResponseInput) => p.onResponse(input);
    expect(response({ headers: { "content-type": "application/json; charset=utf-8" }, body: '{"secret":1,"ok":2}' })).toMatchObject({
      tag: "ok",
      val: { tag: "continue", val: { body: new TextEncoder().encode('{"ok":2}') } },
    });
    const encoded = response({ headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: "\x1f\x8b..." });
    expect(encoded).toMatchObject({ tag: "ok", val: { tag: "respond", val: { status: 502 } } });
    expect(text((encoded as { val: { val: { body: Uint8Array } } }).val.val.body)).toBe('{"code":"TRANSFORM_UPSTREAM_BODY_NOT_JSON"}');
    const passing = await policy({ response: { body: { remove: ["$.secret"] } } });
    expect(passing.onResponse({ headers: { "content-type": "text/html" }, body: "<p>" })).toMatchObject({
      tag: "ok",
      val: { tag: "continue", val: { body: undefined } },
    });
  });
});

describe("transform (unit): body needs", () => {
  it("buffers only the bodies it edits, so a path rewrite alone streams both", async () => {
    expect((await policy({ request: { path: { prefix: "/a", to: "/b" } } })).initInfo).toEqual({ requestBody: "none", responseBody: "none" });
    expect((await policy({ request: { body: { remove: ["$.x"] } } })).initInfo).toEqual({ requestBody: "whole", responseBody: "none" });
    expect((await policy({ response: { body: { remove: ["$.x"] } } })).initInfo).toEqual({ requestBody: "none", responseBody: "whole" });
  });
});
