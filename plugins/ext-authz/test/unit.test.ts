import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { answerOf, fakeExpressions, loadPolicy, type TestPolicy } from "@portcullis/sdk/testing";
import type { OutboundResponse } from "@portcullis/sdk/component";

// Through the SDK harness with fake http, kv and expressions: the check request and what is kept of answers.

const wasmPath = fileURLToPath(new URL("../build/ext-authz.wasm", import.meta.url));
const text = (value: string) => new TextEncoder().encode(value);

async function policyAnswering(answer: OutboundResponse, config: Record<string, unknown> = {}, keys: Record<string, string> = {}): Promise<TestPolicy> {
  const policy = await loadPolicy(wasmPath, { config: { url: "http://authz.test/check/", ...config }, capabilities: { expression: fakeExpressions(keys) } });
  policy.fakes.fetch = () => ({ tag: "ok", val: answer });
  return policy;
}

describe("ext-authz: the check request and the answers", () => {
  it("asks with the client's method at the service path followed by the request path and query", async () => {
    const policy = await policyAnswering({ status: 204, headers: [], body: new Uint8Array() }, { headers: ["X-Tenant"] });
    policy.onRequest({ method: "PATCH", path: "/orders/7", query: "a=1&b=2", headers: { authorization: "Bearer t", "x-tenant": "acme", cookie: "c=1" } });
    const call = policy.fakes.fetches[0]!;
    expect(call).toMatchObject({ method: "PATCH", url: "http://authz.test/check/orders/7?a=1&b=2", timeoutMs: 500 });
    const names = call.headers.map((h) => h.name);
    expect(names).toEqual(expect.arrayContaining(["authorization", "x-tenant", "x-forwarded-host", "x-forwarded-proto", "x-request-id"]));
    expect(names).not.toContain("cookie");
    expect(call.body).toBeUndefined();
  });

  it("sends a denial to the client without framing, date or server headers", async () => {
    const headers = [
      { name: "content-type", value: "text/plain" },
      { name: "content-length", value: "6" },
      { name: "transfer-encoding", value: "chunked" },
      { name: "connection", value: "close" },
      { name: "date", value: "Sat, 05 Dec 2026 18:00:00 GMT" },
      { name: "x-reason", value: "quota" },
    ];
    const policy = await policyAnswering({ status: 429, headers, body: text("slow down") });
    const answer = answerOf(policy.onRequest({ headers: {} }));
    expect(answer.status).toBe(429);
    expect(answer.body).toBe("slow down");
    expect(answer.headers.map((h) => h.name).sort()).toEqual(["content-type", "x-reason"]);
  });

  it("caches by the key's value and does not cache when the key evaluates to null", async () => {
    const allowed = { status: 200, headers: [{ name: "x-user-id", value: "alice" }], body: new Uint8Array() };
    const keyed = await policyAnswering(allowed, { upstreamHeaders: ["x-user-id"], cache: { key: "k" } }, { k: '"alice"' });
    keyed.onRequest({ headers: {} });
    const again = keyed.onRequest({ headers: {} });
    expect(keyed.fakes.fetches).toHaveLength(1);
    expect(again).toMatchObject({ tag: "ok", val: { tag: "continue" } });
    keyed.fakes.clock.advance(31_000); // ttlSeconds 30 by default
    keyed.onRequest({ headers: {} });
    expect(keyed.fakes.fetches).toHaveLength(2);

    const unkeyed = await policyAnswering(allowed, { cache: { key: "k" } }, { k: "null" });
    unkeyed.onRequest({ headers: {} });
    unkeyed.onRequest({ headers: {} });
    expect(unkeyed.fakes.fetches).toHaveLength(2);
    expect(unkeyed.fakes.kv.size).toBe(0);
  });
});
