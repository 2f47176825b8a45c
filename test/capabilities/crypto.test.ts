import { createHash, createHmac, generateKeyPairSync } from "node:crypto";
import { execFileSync } from "node:child_process";
import bcrypt from "bcryptjs";
import { CompactSign, exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { createCrypto } from "../../host/src/capabilities/crypto/crypto-capability.js";
import type { SignatureAlgorithm } from "../../host/src/capabilities/contract.js";

const crypto = createCrypto();
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Signs a JWS with jose and splits it into what a policy hands to verify-signature. */
async function signed(alg: string, options: { crv?: string } = {}) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...options });
  const jws = await new CompactSign(bytes('{"sub":"alice"}')).setProtectedHeader({ alg }).sign(privateKey);
  const [header, payload, signature] = jws.split(".");
  return {
    jwk: await exportJWK(publicKey),
    privateJwk: await exportJWK(privateKey),
    data: bytes(`${header}.${payload}`),
    signature: new Uint8Array(Buffer.from(signature!, "base64url")),
  };
}

describe("crypto: digests", () => {
  it("hashes, MACs and compares like node:crypto", () => {
    const data = bytes("portcullis");
    for (const algorithm of ["sha1", "sha256", "sha384", "sha512"] as const) {
      expect(Buffer.from(crypto.hash(algorithm, data))).toEqual(createHash(algorithm).update(data).digest());
      expect(Buffer.from(crypto.hmac(algorithm, bytes("k"), data))).toEqual(createHmac(algorithm, "k").update(data).digest());
    }
    expect(crypto.constantTimeEqual(bytes("abc"), bytes("abc"))).toBe(true);
    expect(crypto.constantTimeEqual(bytes("abc"), bytes("abd"))).toBe(false);
    expect(crypto.constantTimeEqual(bytes("abc"), bytes("abcd"))).toBe(false);
  });
});

describe("crypto: verify-signature with JWKs, tokens signed by jose", () => {
  const cases: [SignatureAlgorithm, string, { crv?: string }?][] = [
    ["rs256", "RS256"],
    ["rs384", "RS384"],
    ["rs512", "RS512"],
    ["ps256", "PS256"],
    ["ps384", "PS384"],
    ["ps512", "PS512"],
    ["es256", "ES256"],
    ["es384", "ES384"],
    ["es512", "ES512"],
    ["eddsa", "EdDSA", { crv: "Ed25519" }],
  ];
  it.each(cases)("%s verifies a good signature and rejects a tampered one", async (algorithm, alg, options) => {
    const token = await signed(alg, options);
    const jwk = JSON.stringify(token.jwk);
    expect(crypto.verifySignature(algorithm, jwk, token.data, token.signature)).toEqual({ tag: "ok", val: true });
    const tampered = token.data.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(crypto.verifySignature(algorithm, jwk, tampered, token.signature)).toEqual({ tag: "ok", val: false });
    expect(crypto.verifySignature(algorithm, jwk, token.data, token.signature.slice(1))).toEqual({ tag: "ok", val: false });
    // The same key with its `alg` stated still works.
    expect(crypto.verifySignature(algorithm, JSON.stringify({ ...token.jwk, alg }), token.data, token.signature).tag).toBe("ok");
  });

  it("rejects an algorithm that does not fit the key as algorithm-mismatch", async () => {
    const rsa = await signed("RS256");
    const ec = await signed("ES256");
    const mismatch = { tag: "err", val: { tag: "algorithm-mismatch" } };
    expect(crypto.verifySignature("es256", JSON.stringify(rsa.jwk), rsa.data, rsa.signature)).toMatchObject(mismatch);
    expect(crypto.verifySignature("rs256", JSON.stringify(ec.jwk), ec.data, ec.signature)).toMatchObject(mismatch);
    expect(crypto.verifySignature("es384", JSON.stringify(ec.jwk), ec.data, ec.signature)).toMatchObject(mismatch);
    expect(crypto.verifySignature("eddsa", JSON.stringify(ec.jwk), ec.data, ec.signature)).toMatchObject(mismatch);
    // A key declared for RS256 must not verify PS256 (or anything else).
    const declared = JSON.stringify({ ...rsa.jwk, alg: "RS256" });
    expect(crypto.verifySignature("ps256", declared, rsa.data, rsa.signature)).toMatchObject(mismatch);
    expect(crypto.verifySignature("rs256", JSON.stringify({ ...rsa.jwk, use: "enc" }), rsa.data, rsa.signature)).toMatchObject(mismatch);
  });

  it("rejects symmetric, private, weak and malformed keys as invalid-key (no HS/RS confusion)", async () => {
    const rsa = await signed("RS256");
    const invalid = { tag: "err", val: { tag: "invalid-key" } };
    const oct: JWK = { kty: "oct", k: Buffer.from(JSON.stringify(rsa.jwk)).toString("base64url") };
    expect(crypto.verifySignature("rs256", JSON.stringify(oct), rsa.data, rsa.signature)).toMatchObject(invalid);
    expect(crypto.verifySignature("rs256", JSON.stringify(rsa.privateJwk), rsa.data, rsa.signature)).toMatchObject(invalid);
    expect(crypto.verifySignature("rs256", "not json", rsa.data, rsa.signature)).toMatchObject(invalid);
    expect(crypto.verifySignature("rs256", "[1]", rsa.data, rsa.signature)).toMatchObject(invalid);
    expect(crypto.verifySignature("rs256", JSON.stringify({ kty: "RSA", n: "AQAB", e: "AQAB" }), rsa.data, rsa.signature)).toMatchObject(invalid);
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
    expect(crypto.verifySignature("rs256", JSON.stringify(weak), rsa.data, rsa.signature)).toMatchObject(invalid);
  });
});

describe("crypto: verify-password", () => {
  const openssl = (flag: string, salt: string, password: string): string =>
    execFileSync("openssl", ["passwd", flag, "-salt", salt, password]).toString().trim();

  it.each([
    ["-5", "saltsalt"],
    ["-6", "abcdefghijklmnop"],
    ["-apr1", "Zx9.Qw3e"],
    ["-1", "ab"],
  ])("checks openssl passwd %s hashes", (flag, salt) => {
    for (const password of ["secret", "pässwörd with spaces", "x".repeat(70)]) {
      const hash = openssl(flag, salt, password);
      expect(crypto.verifyPassword(hash, password)).toEqual({ tag: "ok", val: true });
      expect(crypto.verifyPassword(hash, `${password}!`)).toEqual({ tag: "ok", val: false });
    }
  });

  it("checks SHA-crypt with explicit rounds (Drepper's published test vector)", () => {
    const hash = "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA";
    expect(crypto.verifyPassword(hash, "Hello world!")).toEqual({ tag: "ok", val: true });
    expect(crypto.verifyPassword(hash, "Hello world")).toEqual({ tag: "ok", val: false });
  });

  it("checks bcrypt $2y$, $2a$ and $2b$ and {SHA}", () => {
    const hash = bcrypt.hashSync("hunter2", 4);
    for (const prefix of ["$2y$", "$2a$", "$2b$"]) {
      const variant = prefix + hash.slice(4);
      expect(crypto.verifyPassword(variant, "hunter2")).toEqual({ tag: "ok", val: true });
      expect(crypto.verifyPassword(variant, "hunter3")).toEqual({ tag: "ok", val: false });
    }
    const sha = `{SHA}${createHash("sha1").update("hunter2").digest("base64")}`;
    expect(crypto.verifyPassword(sha, "hunter2")).toEqual({ tag: "ok", val: true });
    expect(crypto.verifyPassword(sha, "hunter3")).toEqual({ tag: "ok", val: false });
  });

  it("answers unsupported-hash for unknown or plain formats", () => {
    for (const hash of ["plaintext", "$argon2id$v=19$m=65536,t=3,p=4$abc$def", "$2y$10$short", ""]) {
      expect(crypto.verifyPassword(hash, "x")).toMatchObject({ tag: "err", val: { tag: "unsupported-hash" } });
    }
  });
});
