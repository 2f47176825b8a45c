import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicy, type TestPolicy } from "@portcullis/sdk/testing";
import { createCrypto } from "../../../host/src/capabilities/crypto/crypto-capability.js";
import { sign, signingKey, type SigningKey } from "./tokens.js";

const wasmPath = fileURLToPath(new URL("../build/jwt.wasm", import.meta.url));
const JWKS_URL = "http://127.0.0.1:9000/jwks.json";

let first: SigningKey, second: SigningKey;
beforeAll(async () => {
  [first, second] = await Promise.all([signingKey("ES256", "key-1"), signingKey("RS256", "key-2")]);
});

const jwks = (...keys: SigningKey[]) => new TextEncoder().encode(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));

function answer(policy: TestPolicy, token: string): { status: number; code?: string } {
  const result = policy.onRequest({ headers: { authorization: `Bearer ${token}` } });
  if (result.tag !== "ok") throw new Error(JSON.stringify(result));
  if (result.val.tag === "continue") return { status: 200 };
  const response = result.val.val;
  return { status: response.status, code: (JSON.parse(Buffer.from(response.body ?? []).toString()) as { code: string }).code };
}

describe("jwt: JWKS file", () => {
  it("reads the keys at load through the files capability", async () => {
    const policy = await loadPolicy(wasmPath, { init: false, capabilities: { crypto: createCrypto() } });
    policy.fakes.files.set("keys/jwks.json", jwks(first));
    expect(policy.init({ algorithms: ["ES256", "RS256"], jwksFile: "keys/jwks.json" })).toEqual({ tag: "ok", val: undefined });
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    expect(answer(policy, await sign(second)).code).toBe("JWT_KEY_UNKNOWN");
  });

  it("refuses an unreadable or non-JWKS file at load", async () => {
    const policy = await loadPolicy(wasmPath, { init: false });
    policy.fakes.files.set("bad.json", new TextEncoder().encode("[]"));
    expect(policy.init({ algorithms: ["ES256"], jwksFile: "bad.json" })).toMatchObject({ tag: "err", val: { val: { path: "/jwksFile" } } });
    const missing = await loadPolicy(wasmPath, { init: false });
    expect(missing.init({ algorithms: ["ES256"], jwksFile: "none.json" })).toMatchObject({ tag: "err", val: { val: { path: "/jwksFile" } } });
  });

  async function fileBacked(cache: Record<string, number>) {
    const policy = await loadPolicy(wasmPath, { init: false, capabilities: { crypto: createCrypto() } });
    policy.fakes.files.set("jwks.json", jwks(first));
    expect(policy.init({ algorithms: ["ES256", "RS256"], jwksFile: "jwks.json", jwksCache: cache })).toEqual({ tag: "ok", val: undefined });
    return policy;
  }

  it("re-reads the file once the keys are older than cacheSeconds", async () => {
    const policy = await fileBacked({ cacheSeconds: 60, refreshCooldownSeconds: 3600 });
    policy.fakes.files.set("jwks.json", jwks(second)); // rotation: the old key withdrawn
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    policy.fakes.clock.advance(61_000);
    expect(answer(policy, await sign(second))).toEqual({ status: 200 });
    expect(answer(policy, await sign(first)).code).toBe("JWT_KEY_UNKNOWN");
  });

  it("re-reads on an unknown kid at most once per cooldown", async () => {
    const policy = await fileBacked({ cacheSeconds: 3600, refreshCooldownSeconds: 30 });
    policy.fakes.files.set("jwks.json", jwks(first, second));
    expect(answer(policy, await sign(second)).code).toBe("JWT_KEY_UNKNOWN"); // loaded just now: within the cooldown
    policy.fakes.clock.advance(31_000);
    expect(answer(policy, await sign(second))).toEqual({ status: 200 });
    policy.fakes.files.set("jwks.json", jwks(first));
    expect(answer(policy, await sign({ ...second, kid: "key-9" })).code).toBe("JWT_KEY_UNKNOWN");
    expect(answer(policy, await sign(second))).toEqual({ status: 200 }); // the re-read waits for the cooldown
  });

  it("keeps the last good keys when the file becomes unreadable or invalid", async () => {
    const policy = await fileBacked({ cacheSeconds: 10, refreshCooldownSeconds: 0 });
    policy.fakes.files.set("jwks.json", new TextEncoder().encode("{ not json"));
    policy.fakes.clock.advance(11_000);
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    policy.fakes.files.delete("jwks.json");
    policy.fakes.clock.advance(11_000);
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    expect(answer(policy, await sign(second)).code).toBe("JWT_KEY_UNKNOWN");
    policy.fakes.files.set("jwks.json", jwks(second));
    expect(answer(policy, await sign(second))).toEqual({ status: 200 });
  });
});

describe("jwt: JWKS URL", () => {
  async function remote(cache: Record<string, number>) {
    let served: Uint8Array | undefined = jwks(first);
    const policy = await loadPolicy(wasmPath, {
      config: { algorithms: ["ES256", "RS256"], jwksUrl: JWKS_URL, jwksCache: cache },
      capabilities: { crypto: createCrypto() },
    });
    policy.fakes.fetch = () =>
      served ? { tag: "ok", val: { status: 200, headers: [], body: served } } : { tag: "err", val: { tag: "unreachable", val: "refused" } };
    return { policy, serve: (body: Uint8Array | undefined) => (served = body) };
  }

  it("fetches once, serves from cache, refreshes on an unknown kid at most once per cooldown", async () => {
    const { policy, serve } = await remote({ cacheSeconds: 300, refreshCooldownSeconds: 30 });
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    expect(policy.fakes.fetches).toHaveLength(1);

    serve(jwks(first, second)); // rotation, within the cooldown of the first fetch
    expect(answer(policy, await sign(second)).code).toBe("JWT_KEY_UNKNOWN");
    expect(answer(policy, await sign({ ...second, kid: "key-9" })).code).toBe("JWT_KEY_UNKNOWN");
    expect(policy.fakes.fetches).toHaveLength(1);

    policy.fakes.clock.advance(31_000);
    expect(answer(policy, await sign(second))).toEqual({ status: 200 });
    expect(answer(policy, await sign({ ...second, kid: "key-9" })).code).toBe("JWT_KEY_UNKNOWN");
    expect(policy.fakes.fetches).toHaveLength(2);
    expect(policy.fakes.fetches[0]).toMatchObject({ method: "GET", url: JWKS_URL });
  });

  it("keeps the last good keys while the URL is down, then fails closed with 503", async () => {
    const { policy, serve } = await remote({ cacheSeconds: 60, refreshCooldownSeconds: 10, maxStaleSeconds: 600 });
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    serve(undefined);
    policy.fakes.clock.advance(120_000);
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    expect(policy.fakes.fetches).toHaveLength(2);
    serve(new TextEncoder().encode("<html>oops</html>"));
    policy.fakes.clock.advance(120_000);
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    policy.fakes.clock.advance(400_000);
    expect(answer(policy, await sign(first))).toEqual({ status: 503, code: "JWT_KEYS_UNAVAILABLE" });
    serve(jwks(first));
    policy.fakes.clock.advance(11_000);
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
  });

  it("with a cooldown of 0 fetches on every unknown kid and takes no lock (a kv TTL of 0 would never expire)", async () => {
    const { policy, serve } = await remote({ refreshCooldownSeconds: 0 });
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    serve(jwks(second));
    expect(answer(policy, await sign(second))).toEqual({ status: 200 });
    expect(policy.fakes.fetches).toHaveLength(2);
    expect([...policy.fakes.kv.keys()]).toEqual([`jwt:jwks:${JWKS_URL}`]);
  });

  it("shares fetched keys through kv: a second instance does not fetch", async () => {
    const { policy } = await remote({});
    expect(answer(policy, await sign(first))).toEqual({ status: 200 });
    const other = await loadPolicy(wasmPath, {
      config: { algorithms: ["ES256"], jwksUrl: JWKS_URL },
      capabilities: { crypto: createCrypto(), kv: policy.fakes.capabilities().kv, clock: policy.fakes.capabilities().clock },
    });
    expect(answer(other, await sign(first))).toEqual({ status: 200 });
    expect(other.fakes.fetches).toHaveLength(0);
  });
});
