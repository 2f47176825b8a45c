import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { answerOf, loadPolicy, type RequestInput, type TestPolicy } from "@portcullis/sdk/testing";
import { createCrypto } from "../../../host/src/capabilities/crypto/crypto-capability.js";
import { hmacWith, NOW, sign, signingKey, unsigned, type SigningKey } from "./tokens.js";

const wasmPath = fileURLToPath(new URL("../build/jwt.wasm", import.meta.url));

let rsa: SigningKey, ec: SigningKey, ed: SigningKey, hs: SigningKey, ps: SigningKey;
beforeAll(async () => {
  [rsa, ec, ed, hs, ps] = await Promise.all([
    signingKey("RS256", "rsa-1"),
    signingKey("ES256", "ec-1"),
    signingKey("EdDSA", "ed-1"),
    signingKey("HS256", "hs-1"),
    signingKey("PS384", "ps-1"),
  ]);
});

async function load(config: Record<string, unknown>): Promise<TestPolicy> {
  return loadPolicy(wasmPath, {
    config: { algorithms: ["RS256", "ES256", "EdDSA", "HS256"], keys: [rsa.publicJwk, ec.publicJwk, ed.publicJwk, hs.publicJwk], ...config },
    capabilities: { crypto: createCrypto() },
  });
}

const bearer = (token: string): RequestInput => ({ headers: { authorization: `Bearer ${token}` } });

function continued(policy: TestPolicy, input: RequestInput) {
  const result = policy.onRequest(input);
  if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error(`expected continue, got ${JSON.stringify(result)}`);
  const edits = result.val.val;
  const metadata = Object.fromEntries(edits.metadata.flatMap((m) => (m.tag === "set" ? [[m.val.key, JSON.parse(m.val.value) as unknown]] : [])));
  return { headers: edits.headers, metadata };
}

function rejected(policy: TestPolicy, input: RequestInput) {
  const answer = answerOf(policy.onRequest(input));
  return { status: answer.status, challenge: answer.header("www-authenticate"), code: answer.json<{ code: string }>().code };
}

describe("jwt: configuration", () => {
  it("describes a strict schema", async () => {
    const schema = JSON.parse((await load({})).describe().configSchema) as Record<string, unknown>;
    expect(schema).toMatchObject({ required: ["algorithms"], additionalProperties: false });
  });

  it("refuses a private key, a short HMAC secret and two key sources", async () => {
    const policy = await loadPolicy(wasmPath, { init: false });
    expect(policy.init({ algorithms: ["RS256"], keys: [{ kty: "RSA", n: "AQAB", e: "AQAB", d: "AQAB" }] })).toMatchObject({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/keys/0" } },
    });
    const short = await loadPolicy(wasmPath, { init: false });
    expect(short.init({ algorithms: ["HS256"], keys: [{ kty: "oct", alg: "HS256", k: "c2hvcnQ" }] })).toMatchObject({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/keys/0", message: "an HS256 secret needs at least 32 bytes" } },
    });
    const both = await loadPolicy(wasmPath, { init: false });
    expect(both.init({ algorithms: ["HS256"], keys: [hs.publicJwk], jwksFile: "keys.json" })).toMatchObject({ tag: "err" });
  });
});

describe("jwt: signatures", () => {
  it("accepts RS256, ES256, EdDSA and HS256 tokens signed by jose; claims into metadata jwt; token removed", async () => {
    const policy = await load({});
    for (const key of [rsa, ec, ed, hs]) {
      const edits = continued(policy, bearer(await sign(key, { scope: "products:read" })));
      expect(edits.metadata).toEqual({ jwt: { sub: "alice", iat: NOW, exp: NOW + 3600, scope: "products:read" } });
      expect(edits.headers).toEqual([{ tag: "remove", val: "authorization" }]);
    }
  });

  it("accepts a token without kid by trying the keys, and PS384 when allowed", async () => {
    const policy = await load({ algorithms: ["PS384", "ES256"], keys: [ec.publicJwk, ps.publicJwk] });
    continued(policy, bearer(await sign(ps, {}, { kid: undefined })));
  });

  it("rejects a tampered payload and a signature by another key as JWT_SIGNATURE_INVALID", async () => {
    const policy = await load({});
    const [head, , signature] = (await sign(rsa)).split(".");
    const forged = `${head}.${Buffer.from(JSON.stringify({ sub: "admin", exp: NOW + 3600 })).toString("base64url")}.${signature}`;
    expect(rejected(policy, bearer(forged))).toEqual({ status: 401, code: "JWT_SIGNATURE_INVALID", challenge: 'Bearer realm="api", error="invalid_token"' });
    const other = await signingKey("ES256", "ec-1");
    expect(rejected(policy, bearer(await sign(other))).code).toBe("JWT_SIGNATURE_INVALID");
    const otherSecret = { ...(await signingKey("HS256", "hs-other")), kid: "hs-1" };
    expect(rejected(policy, bearer(await sign(otherSecret))).code).toBe("JWT_SIGNATURE_INVALID");
  });

  it("always rejects alg none, even when listed keys would allow anything", async () => {
    const policy = await load({});
    expect(rejected(policy, bearer(unsigned()))).toMatchObject({ status: 401, code: "JWT_ALG_NOT_ALLOWED" });
  });

  it("rejects an algorithm not in the allow-list", async () => {
    const policy = await load({ algorithms: ["ES256"] });
    expect(rejected(policy, bearer(await sign(rsa))).code).toBe("JWT_ALG_NOT_ALLOWED");
  });

  it("rejects HS256 signed with the RSA public key (key confusion), even with HS256 allowed", async () => {
    const policy = await load({});
    const confused = await hmacWith(JSON.stringify(rsa.publicJwk), "rsa-1");
    expect(rejected(policy, bearer(confused)).code).toBe("JWT_KEY_MISMATCH");
    const noKid = await hmacWith(JSON.stringify(rsa.publicJwk), "");
    expect(rejected(policy, bearer(noKid)).code).toBe("JWT_KEY_UNKNOWN");
  });

  it("rejects an algorithm that does not fit the key (ES256 header naming the RSA key)", async () => {
    const policy = await load({});
    const token = await sign({ ...ec, kid: "rsa-1" });
    expect(rejected(policy, bearer(token)).code).toBe("JWT_KEY_MISMATCH");
    expect(rejected(policy, bearer(await sign({ ...rsa, kid: "nobody" }))).code).toBe("JWT_KEY_UNKNOWN");
  });

  it("answers malformed and missing credentials with 401, never a trap", async () => {
    const policy = await load({ realm: "shop" });
    expect(rejected(policy, {})).toEqual({ status: 401, code: "JWT_MISSING", challenge: 'Bearer realm="shop"' });
    for (const value of ["Basic abc", "Bearer a.b", "Bearer !!.??.**", "Bearer e30.e30.e30=", `Bearer ${"a".repeat(9000)}.b.c`]) {
      expect(rejected(policy, { headers: { authorization: value } }).code).toBe("JWT_MALFORMED");
    }
    const notObject = `${Buffer.from("[1]").toString("base64url")}.e30.AA`;
    expect(rejected(policy, bearer(notObject)).code).toBe("JWT_MALFORMED");
  });
});

describe("jwt: claims", () => {
  it("checks exp and nbf with the configured skew", async () => {
    const policy = await load({ clockSkewSeconds: 30 });
    expect(rejected(policy, bearer(await sign(rsa, { exp: NOW - 31 }))).code).toBe("JWT_EXPIRED");
    continued(policy, bearer(await sign(rsa, { exp: NOW - 29 })));
    expect(rejected(policy, bearer(await sign(rsa, { nbf: NOW + 31 }))).code).toBe("JWT_NOT_YET_VALID");
    continued(policy, bearer(await sign(rsa, { nbf: NOW + 29 })));
    expect(rejected(policy, bearer(await sign(rsa, { exp: "tomorrow" as unknown as number }))).code).toBe("JWT_MALFORMED");
  });

  it("checks issuer, audience (string or list) and required claims", async () => {
    const policy = await load({ issuer: ["https://idp.example"], audience: "products", requiredClaims: ["scope"] });
    const good = { iss: "https://idp.example", aud: ["other", "products"], scope: "x" };
    continued(policy, bearer(await sign(ec, good)));
    expect(rejected(policy, bearer(await sign(ec, { ...good, iss: "https://evil.example" }))).code).toBe("JWT_ISSUER_INVALID");
    expect(rejected(policy, bearer(await sign(ec, { ...good, aud: "other" }))).code).toBe("JWT_AUDIENCE_INVALID");
    expect(rejected(policy, bearer(await sign(ec, { ...good, scope: undefined }))).code).toBe("JWT_CLAIM_MISSING");
  });

  it("copies selected claims to upstream headers and drops client-sent ones; reads another header; keeps the token", async () => {
    const policy = await load({ header: "X-Token", claimsToHeaders: { sub: "X-User", roles: "x-roles", tenant: "x-tenant" }, keepToken: true });
    const edits = continued(policy, { headers: { "x-token": await sign(ed, { roles: ["a", "b"] }), "x-tenant": "forged" } });
    expect(edits.headers).toEqual([
      { tag: "set", val: { name: "x-user", value: "alice" } },
      { tag: "set", val: { name: "x-roles", value: '["a","b"]' } },
      { tag: "remove", val: "x-tenant" },
    ]);
    expect(rejected(policy, bearer(await sign(ed))).code).toBe("JWT_MISSING");
  });
});
