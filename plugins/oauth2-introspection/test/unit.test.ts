import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { answerOf, loadPolicy, type TestPolicy } from "@portcullis/sdk/testing";

// Through the SDK harness with a fake clock, kv and http: how long answers are cached, what is sent.

const wasmPath = fileURLToPath(new URL("../build/oauth2-introspection.wasm", import.meta.url));
const ENDPOINT = "https://idp.example/introspect";
const CONFIG = { endpoint: ENDPOINT, clientId: "gateway", clientSecret: "s3cret:with/odd&chars" };

/** A policy whose endpoint answers `claims(token)` as JSON with status 200. */
async function policyAnswering(claims: (token: string) => Record<string, unknown>, config: Record<string, unknown> = {}): Promise<TestPolicy> {
  const policy = await loadPolicy(wasmPath, { config: { ...CONFIG, ...config } });
  policy.fakes.fetch = (request) => {
    const token = new URLSearchParams(Buffer.from(request.body ?? []).toString()).get("token") ?? "";
    return { tag: "ok", val: { status: 200, headers: [], body: new TextEncoder().encode(JSON.stringify(claims(token))) } };
  };
  return policy;
}

const nowSeconds = (policy: TestPolicy) => Number(policy.fakes.clock.nowMs / 1000n);
const send = (policy: TestPolicy, token = "t-1") => policy.onRequest({ headers: { authorization: `Bearer ${token}` } });
const went = (policy: TestPolicy, token?: string) => {
  const result = send(policy, token);
  return result.tag === "ok" && result.val.tag === "continue";
};

describe("oauth2-introspection: the call and its cache", () => {
  it("posts the token form with HTTP Basic credentials, both parts form-encoded (RFC 6749 2.3.1)", async () => {
    const policy = await policyAnswering(() => ({ active: true }));
    expect(went(policy)).toBe(true);
    const call = policy.fakes.fetches[0]!;
    expect(call).toMatchObject({ method: "POST", url: ENDPOINT });
    expect(Buffer.from(call.body ?? []).toString()).toBe("token=t-1&token_type_hint=access_token");
    const header = (name: string) => call.headers.find((h) => h.name === name)?.value;
    expect(header("content-type")).toBe("application/x-www-form-urlencoded");
    expect(Buffer.from(header("authorization")!.slice(6), "base64").toString()).toBe("gateway:s3cret%3Awith%2Fodd%26chars");
  });

  it("keeps an active answer until the token's exp when that comes before cache.maxSeconds", async () => {
    let exp = 0;
    const policy = await policyAnswering(() => ({ active: true, exp }));
    exp = nowSeconds(policy) + 60;
    expect(went(policy)).toBe(true);
    policy.fakes.clock.advance(59_000);
    expect(went(policy)).toBe(true);
    expect(policy.fakes.fetches).toHaveLength(1);
    policy.fakes.clock.advance(2_000); // past exp: the entry is gone, and the token with it
    expect(answerOf(send(policy)).json()).toMatchObject({ code: "TOKEN_EXPIRED" });
    expect(policy.fakes.fetches).toHaveLength(2);
  });

  it("caps the cache at cache.maxSeconds and keeps inactive answers for cache.inactiveSeconds", async () => {
    const active = new Set(["t-1"]);
    const policy = await policyAnswering((token) => ({ active: active.has(token), exp: 4_000_000_000 }), {
      cache: { maxSeconds: 120, inactiveSeconds: 10 },
    });
    expect(went(policy)).toBe(true);
    policy.fakes.clock.advance(119_000);
    expect(went(policy)).toBe(true);
    expect(policy.fakes.fetches).toHaveLength(1);
    policy.fakes.clock.advance(2_000);
    expect(went(policy)).toBe(true);
    expect(policy.fakes.fetches).toHaveLength(2);

    expect(went(policy, "t-2")).toBe(false);
    active.add("t-2"); // activated at the server: seen once the inactive answer ends
    policy.fakes.clock.advance(9_000);
    expect(went(policy, "t-2")).toBe(false);
    policy.fakes.clock.advance(2_000);
    expect(went(policy, "t-2")).toBe(true);
  });

  it("never keeps the token itself in the store", async () => {
    const policy = await policyAnswering(() => ({ active: true }));
    went(policy, "very-secret-token");
    const keys = [...policy.fakes.kv.keys()];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^oauth2-introspection:[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(policy.fakes.kv.get(keys[0]!)!.value).toString()).not.toContain("very-secret-token");
  });

  it("treats an answer without a boolean active as a failure, not as inactive", async () => {
    const policy = await policyAnswering(() => ({ sub: "alice" }));
    const answer = answerOf(send(policy));
    expect(answer.status).toBe(503);
    expect(answer.json()).toMatchObject({ code: "INTROSPECTION_UNAVAILABLE", message: "the introspection answer has no boolean active" });
    expect(policy.fakes.kv.size).toBe(0);
  });
});
