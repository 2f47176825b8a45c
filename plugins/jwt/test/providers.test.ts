import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicy, type RequestInput, type TestPolicy } from "@portcullis/sdk/testing";
import { createCrypto } from "../../../host/src/capabilities/crypto/crypto-capability.js";
import { NOW, sign, signingKey, type SigningKey } from "./tokens.js";

// Tokens from a query parameter or a cookie, and several providers in one policy (ordered or by issuer).

const wasmPath = fileURLToPath(new URL("../build/jwt.wasm", import.meta.url));
const INTERNAL = "https://internal.example";
const PARTNER = "https://partner.example";

let hs: SigningKey, rsa: SigningKey, rsaOther: SigningKey;
beforeAll(async () => {
  [hs, rsa, rsaOther] = await Promise.all([signingKey("HS256", "hs-1"), signingKey("RS256", "rsa-1"), signingKey("RS256", "rsa-2")]);
});

const jwks = (...keys: SigningKey[]) => new TextEncoder().encode(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));

/** HS256 inline for the internal issuer, RS256 from a JWKS file for the partner. */
async function twoProviders(extra: Record<string, unknown> = {}): Promise<TestPolicy> {
  const policy = await loadPolicy(wasmPath, { init: false, capabilities: { crypto: createCrypto() } });
  policy.fakes.files.set("partner.json", jwks(rsa));
  const config = {
    algorithms: ["HS256", "RS256"],
    providers: [
      { issuer: INTERNAL, algorithms: ["HS256"], keys: [hs.publicJwk], claimsToHeaders: { sub: "x-user" } },
      { issuer: PARTNER, audience: "shop", jwksFile: "partner.json", claimsToHeaders: { sub: "x-partner-user", tenant: "x-tenant" } },
    ],
    ...extra,
  };
  const init = policy.init(config);
  if (init.tag !== "ok") throw new Error(JSON.stringify(init));
  return policy;
}

function outcome(policy: TestPolicy, input: RequestInput) {
  const result = policy.onRequest(input);
  if (result.tag !== "ok") throw new Error(JSON.stringify(result));
  if (result.val.tag === "continue") return { status: 200, edits: result.val.val };
  const response = result.val.val;
  return { status: response.status, code: (JSON.parse(Buffer.from(response.body).toString("utf8")) as { code: string }).code };
}

const bearer = (token: string): RequestInput => ({ headers: { authorization: `Bearer ${token}` } });

describe("jwt: token in a query parameter or a cookie", () => {
  async function load(): Promise<TestPolicy> {
    return loadPolicy(wasmPath, {
      config: { algorithms: ["HS256"], keys: [hs.publicJwk], query: "access_token", cookie: "session" },
      capabilities: { crypto: createCrypto() },
    });
  }

  it("reads the token from the query (decoded) and removes only that parameter", async () => {
    const policy = await load();
    const token = await sign(hs);
    const answer = outcome(policy, { query: `page=2&access_token=${encodeURIComponent(token)}&sort=asc` });
    expect(answer.status).toBe(200);
    expect(answer.edits?.query).toBe("page=2&sort=asc");
    expect(answer.edits?.headers).toEqual([{ tag: "remove", val: "authorization" }]);
  });

  it("reads the token from a quoted cookie and forwards the other cookies", async () => {
    const policy = await load();
    const answer = outcome(policy, { headers: { cookie: `theme=dark; session="${await sign(hs)}"; lang=en` } });
    expect(answer.status).toBe(200);
    expect(answer.edits?.headers).toEqual([
      { tag: "remove", val: "authorization" },
      { tag: "remove", val: "cookie" },
      { tag: "append", val: { name: "cookie", value: "theme=dark; lang=en" } },
    ]);
  });

  it("prefers the header, then the query, then the cookie, and removes the token from every place", async () => {
    const policy = await load();
    const good = await sign(hs);
    const answer = outcome(policy, { ...bearer(good), query: "access_token=garbage", headers: { authorization: `Bearer ${good}`, cookie: "session=garbage" } });
    expect(answer.status).toBe(200);
    expect(answer.edits?.query).toBe("");
    expect(outcome(policy, { query: `access_token=${good}`, headers: { cookie: "session=garbage" } }).status).toBe(200);
    expect(outcome(policy, { query: "access_token=garbage", headers: { cookie: `session=${good}` } }).code).toBe("JWT_MALFORMED");
  });

  it("answers JWT_MISSING for an empty parameter or cookie, and JWT_MALFORMED for a bad token there", async () => {
    const policy = await load();
    expect(outcome(policy, { query: "access_token=", headers: { cookie: "session=" } }).code).toBe("JWT_MISSING");
    expect(outcome(policy, { query: "access_token=a.b" }).code).toBe("JWT_MALFORMED");
    expect(outcome(policy, { headers: { cookie: "session=%65%79.x.y" } }).code).toBe("JWT_MALFORMED");
  });
});

describe("jwt: several providers, tried in order", () => {
  it("accepts a token of either provider and maps the winner's claims; the other's headers are dropped", async () => {
    const policy = await twoProviders();
    const internal = outcome(policy, {
      ...bearer(await sign(hs, { iss: INTERNAL })),
      headers: { authorization: `Bearer ${await sign(hs, { iss: INTERNAL })}`, "x-tenant": "forged" },
    });
    expect(internal.status).toBe(200);
    expect(internal.edits?.headers).toEqual([
      { tag: "set", val: { name: "x-user", value: "alice" } },
      { tag: "remove", val: "x-partner-user" },
      { tag: "remove", val: "x-tenant" },
      { tag: "remove", val: "authorization" },
    ]);
    const partner = outcome(policy, bearer(await sign(rsa, { iss: PARTNER, aud: "shop", tenant: "t1" })));
    expect(partner.status).toBe(200);
    expect(partner.edits?.headers.slice(0, 3)).toEqual([
      { tag: "set", val: { name: "x-partner-user", value: "alice" } },
      { tag: "set", val: { name: "x-tenant", value: "t1" } },
      { tag: "remove", val: "x-user" },
    ]);
  });

  it("reports the most specific failure across providers", async () => {
    const policy = await twoProviders();
    // The partner's key verifies it, so its claim failure wins over the internal provider's refusal.
    expect(outcome(policy, bearer(await sign(rsa, { iss: PARTNER, aud: "other" }))).code).toBe("JWT_AUDIENCE_INVALID");
    expect(outcome(policy, bearer(await sign(rsa, { iss: PARTNER, aud: "shop", exp: NOW - 3600 }))).code).toBe("JWT_EXPIRED");
    expect(outcome(policy, bearer(await sign({ ...rsaOther, kid: "rsa-1" }, { iss: PARTNER, aud: "shop" }))).code).toBe("JWT_SIGNATURE_INVALID");
    expect(outcome(policy, bearer(await sign(rsaOther, { iss: PARTNER, aud: "shop" }))).code).toBe("JWT_KEY_UNKNOWN");
    // An HS256 token with the internal key but the partner's issuer: verified, then refused on iss.
    expect(outcome(policy, bearer(await sign(hs, { iss: PARTNER }))).code).toBe("JWT_ISSUER_INVALID");
  });
});

describe("jwt: several providers, selected by issuer", () => {
  it("verifies against the named issuer's keys only; an unknown or absent issuer is JWT_ISSUER_UNKNOWN", async () => {
    const policy = await twoProviders({ select: "issuer" });
    expect(outcome(policy, bearer(await sign(hs, { iss: INTERNAL }))).status).toBe(200);
    expect(outcome(policy, bearer(await sign(rsa, { iss: PARTNER, aud: "shop" }))).status).toBe(200);
    // Claiming the partner's issuer does not let the internal HMAC key vouch for the token.
    expect(outcome(policy, bearer(await sign(hs, { iss: PARTNER, aud: "shop" }))).code).toBe("JWT_KEY_UNKNOWN");
    expect(outcome(policy, bearer(await sign(rsa, { iss: INTERNAL }))).code).toBe("JWT_ALG_NOT_ALLOWED");
    expect(outcome(policy, bearer(await sign(hs, { iss: "https://evil.example" })))).toEqual({ status: 401, code: "JWT_ISSUER_UNKNOWN" });
    expect(outcome(policy, bearer(await sign(hs))).code).toBe("JWT_ISSUER_UNKNOWN");
  });

  it("refuses providers without an issuer, an issuer listed twice, and algorithms the policy does not accept", async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ select: "issuer", providers: [{ keys: [hs.publicJwk] }] }, "/providers/0/issuer", /required when select is issuer/],
      [
        {
          select: "issuer",
          providers: [
            { issuer: INTERNAL, keys: [hs.publicJwk] },
            { issuer: [PARTNER, INTERNAL], keys: [hs.publicJwk] },
          ],
        },
        "/providers/1/issuer",
        /listed by two providers/,
      ],
      [{ providers: [{ algorithms: ["ES256"], keys: [hs.publicJwk] }] }, "/providers/0/algorithms/0", /not among the policy's algorithms/],
      [{ providers: [{ keys: [hs.publicJwk], jwksFile: "x.json" }] }, "/providers/0/keys", /exactly one of/],
    ];
    for (const [config, path, message] of cases) {
      const policy = await loadPolicy(wasmPath, { init: false });
      const init = policy.init({ algorithms: ["HS256"], ...config });
      expect(init, path).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
      expect(init.tag === "err" && init.val.tag === "invalid-value" ? init.val.val.message : "").toMatch(message);
    }
  });

  it("declares providers and select in the schema, exclusive of the single-provider key fields", async () => {
    const policy = await loadPolicy(wasmPath, { init: false });
    const schema = JSON.parse(policy.describe().configSchema) as { properties: Record<string, unknown>; oneOf: unknown[]; dependentRequired: unknown };
    expect(schema.properties.select).toEqual({ enum: ["ordered", "issuer"], default: "ordered" });
    expect(schema.oneOf).toContainEqual({ required: ["providers"] });
    expect(schema.dependentRequired).toEqual({ select: ["providers"] });
  });
});
