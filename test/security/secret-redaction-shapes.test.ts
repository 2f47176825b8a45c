import { describe, expect, it } from "vitest";
import { redact } from "../../host/src/admin/redact.js";

const R = "[redacted]";

describe("redaction decided by what a value is", () => {
  it("hides JWK private and symmetric members, keeps the public ones", () => {
    const jwks = [
      { kty: "oct", kid: "hs", alg: "HS256", k: "c2VjcmV0" },
      { kty: "RSA", kid: "rs", n: "modulus", e: "AQAB", d: "dd", p: "pp", q: "qq", dp: "a", dq: "b", qi: "c", oth: [{ r: "x" }] },
    ];
    expect(redact({ anything: jwks })).toEqual({
      anything: [
        { kty: "oct", kid: "hs", alg: "HS256", k: R },
        { kty: "RSA", kid: "rs", n: "modulus", e: "AQAB", d: R, p: R, q: R, dp: R, dq: R, qi: R, oth: R },
      ],
    });
    // Without kty an object is not a JWK: a field called `k` or `d` is shown.
    expect(redact({ k: "shown", d: "shown" })).toEqual({ k: "shown", d: "shown" });
  });

  it("hides password hashes, PEM private keys, URL credentials and Authorization-style values under any name", () => {
    const hashes = ["$2b$10$abcdefghijklmnopqrstuv", "$2y$05$x", "$1$salt$h", "$5$salt$h", "$6$salt$h", "$apr1$salt$h", "{SHA}9SMYoF5RilWWASry7TjeaKwmpGg="];
    for (const hash of hashes) expect(redact({ note: hash }), hash).toEqual({ note: R });
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n";
    expect(redact({ blob: pem })).toEqual({ blob: `${R}\n` });
    expect(redact({ a: "redis://:pw1@cache:6379/0", b: "https://user:pw2@h/x", c: "https://tok3n@h/x" })).toEqual({
      a: `redis://:${R}@cache:6379/0`,
      b: `https://user:${R}@h/x`,
      c: `https://${R}@h/x`,
    });
    expect(redact({ set: { "x-upstream": "Bearer abc.def.ghi" } })).toEqual({ set: { "x-upstream": `Bearer ${R}` } });
  });

  it("shows values whose names only look secret (paths, header names, flags)", () => {
    const shown = { tls: { cert: "c.pem", key: "k.pem" }, with: { header: "x-api-key", tokenHeader: "authorization", password: true } };
    expect(redact(shown)).toEqual(shown);
  });

  it("hides fields a plugin schema marks writeOnly, through arrays, $ref and oneOf", () => {
    const schema = {
      $defs: { secret: { type: "string", writeOnly: true } },
      type: "object",
      properties: {
        keys: { type: "array", items: { type: "object", properties: { consumer: { type: "string" }, key: { $ref: "#/$defs/secret" } } } },
        upstream: { oneOf: [{ type: "string" }, { type: "object", properties: { clientSecret: { type: "string", writeOnly: true } } }] },
        extra: { type: "object", additionalProperties: { type: "string", writeOnly: true } },
      },
    };
    const entry = {
      plugin: "p",
      with: { keys: [{ consumer: "alice", key: "from-env-abc" }], upstream: { clientSecret: "cs" }, extra: { a: "1" }, other: "kept" },
    };
    expect(redact({ policies: { request: [entry] } }, new Map([["p", schema]]))).toEqual({
      policies: { request: [{ plugin: "p", with: { keys: [{ consumer: "alice", key: R }], upstream: { clientSecret: R }, extra: { a: R }, other: "kept" } }] },
    });
    // Another plugin's entry is not read through this schema.
    expect(redact({ plugin: "q", with: { keys: [{ key: "k" }] } }, new Map([["p", schema]]))).toEqual({ plugin: "q", with: { keys: [{ key: "k" }] } });
  });
});
