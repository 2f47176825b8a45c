import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { answerOf, loadPolicy, type RequestInput, type TestPolicy } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/cors.wasm", import.meta.url));

const CONFIG = {
  allowOrigins: ["https://app.example.com", "https://*.preview.example.com"],
  allowMethods: ["GET", "POST", "DELETE"],
  allowHeaders: ["Content-Type", "X-Api-Key"],
  exposeHeaders: ["X-Request-Id"],
  allowCredentials: true,
  maxAgeSeconds: 600,
};

const load = (config: Record<string, unknown> = CONFIG) => loadPolicy(wasmPath, { config });

function preflight(origin: string, method: string, headers?: string): RequestInput {
  const list: Record<string, string> = { origin, "access-control-request-method": method };
  if (headers !== undefined) list["access-control-request-headers"] = headers;
  return { method: "OPTIONS", headers: list };
}

function answer(policy: TestPolicy, input: RequestInput) {
  const answer = answerOf(policy.onRequest(input));
  return {
    status: answer.status,
    headers: Object.fromEntries(answer.headers.map((h) => [h.name, h.value])),
    body: answer.body ? answer.json<{ code: string }>() : undefined,
  };
}

/** The response flow's header edits as name -> value ("remove" edits are not expected). */
function responseEdits(policy: TestPolicy, origin: string | undefined, headers: Record<string, string> = {}) {
  const result = policy.onResponse({ status: 401, headers, request: { headers: origin === undefined ? {} : { origin } } });
  if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error(`expected continue, got ${JSON.stringify(result)}`);
  return result.val.val.headers.map((edit) => (edit.tag === "remove" ? [edit.tag, edit.val] : [edit.tag, edit.val.name, edit.val.value]));
}

describe("cors: preflight", () => {
  it("answers an allowed preflight itself with 204 and the CORS headers", async () => {
    const policy = await load();
    const reply = answer(policy, preflight("https://app.example.com", "DELETE", "content-type, X-API-Key"));
    expect(reply.status).toBe(204);
    expect(reply.headers).toMatchObject({
      "access-control-allow-origin": "https://app.example.com",
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": "GET, POST, DELETE",
      "access-control-allow-headers": "content-type, x-api-key",
      "access-control-max-age": "600",
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    });
  });

  it("matches patterns on host characters only", async () => {
    const policy = await load();
    expect(answer(policy, preflight("https://pr-12.preview.example.com", "GET")).status).toBe(204);
    for (const origin of [
      "https://preview.example.com",
      "https://evil.com#.preview.example.com",
      "http://a.preview.example.com",
      "https://a.preview.example.com.evil.com",
    ]) {
      expect(answer(policy, preflight(origin, "GET")).body?.code, origin).toBe("CORS_ORIGIN_NOT_ALLOWED");
    }
  });

  it("refuses with 403 and a code: unknown origin, null origin, method, header", async () => {
    const policy = await load();
    const origin = answer(policy, preflight("https://evil.example.com", "GET"));
    expect(origin.status).toBe(403);
    expect(origin.headers["access-control-allow-origin"]).toBeUndefined();
    expect(origin.body?.code).toBe("CORS_ORIGIN_NOT_ALLOWED");
    expect(answer(policy, preflight("null", "GET")).body?.code).toBe("CORS_ORIGIN_NOT_ALLOWED");
    expect(answer(policy, preflight("https://app.example.com", "PUT")).body?.code).toBe("CORS_METHOD_NOT_ALLOWED");
    expect(answer(policy, preflight("https://app.example.com", "GET", "x-secret")).body?.code).toBe("CORS_HEADER_NOT_ALLOWED");
  });

  it("lets plain OPTIONS requests and same-host requests without Origin through", async () => {
    const policy = await load();
    expect(policy.onRequest({ method: "OPTIONS", headers: {} })).toMatchObject({ tag: "ok", val: { tag: "continue" } });
    expect(policy.onRequest({ method: "OPTIONS", headers: { origin: "https://app.example.com" } })).toMatchObject({ tag: "ok", val: { tag: "continue" } });
  });
});

describe("cors: responses", () => {
  it("adds the CORS headers for an allowed origin, on any status", async () => {
    const policy = await load();
    expect(responseEdits(policy, "https://app.example.com")).toEqual([
      ["append", "vary", "Origin"],
      ["set", "access-control-allow-origin", "https://app.example.com"],
      ["set", "access-control-allow-credentials", "true"],
      ["set", "access-control-expose-headers", "X-Request-Id"],
    ]);
  });

  it("always sends Vary: Origin, once, and nothing else for a foreign or null origin", async () => {
    const policy = await load();
    expect(responseEdits(policy, "https://evil.example.com")).toEqual([["append", "vary", "Origin"]]);
    expect(responseEdits(policy, "null")).toEqual([["append", "vary", "Origin"]]);
    expect(responseEdits(policy, undefined)).toEqual([["append", "vary", "Origin"]]);
    expect(responseEdits(policy, undefined, { vary: "Accept-Encoding, origin" })).toEqual([]);
  });

  it("sends * for any origin without credentials, and accepts null only when listed", async () => {
    const any = await load({ allowOrigins: ["*"] });
    expect(responseEdits(any, "https://x.test")).toContainEqual(["set", "access-control-allow-origin", "*"]);
    expect(responseEdits(any, "null")).toEqual([["append", "vary", "Origin"]]);
    const withNull = await load({ allowOrigins: ["null"], allowCredentials: true });
    expect(responseEdits(withNull, "null")).toContainEqual(["set", "access-control-allow-origin", "null"]);
  });
});

describe("cors: configuration", () => {
  it("refuses * with credentials, and malformed patterns", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ allowOrigins: ["https://a.test", "*"], allowCredentials: true }, "/allowOrigins/1"],
      [{ allowOrigins: ["https://a.test/path"] }, "/allowOrigins/0"],
      [{ allowOrigins: ["http*://a.test"] }, "/allowOrigins/0"],
      [{ allowOrigins: ["https://*"] }, "/allowOrigins/0"],
    ];
    for (const [config, path] of cases) {
      const policy = await loadPolicy(wasmPath, { init: false });
      expect(policy.init(config), JSON.stringify(config)).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    }
  });
});
