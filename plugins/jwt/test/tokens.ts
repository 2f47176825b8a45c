// Keys and tokens for the tests, made by an independent JWT library (jose).
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

/** The fake clock's default time (SDK harness), in seconds. */
export const NOW = 1_700_000_000;

export interface SigningKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey | Uint8Array;
  publicJwk: JWK;
}

export async function signingKey(alg: string, kid: string): Promise<SigningKey> {
  if (alg.startsWith("HS")) {
    const secret = new Uint8Array(64).map((_, i) => (i * 7 + kid.length) & 255);
    return { alg, kid, privateKey: secret, publicJwk: { kty: "oct", k: Buffer.from(secret).toString("base64url"), kid } };
  }
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  return { alg, kid, privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, use: "sig" } };
}

/** A token signed by `key`; `claims` default to a subject valid for an hour around NOW. */
export async function sign(key: SigningKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: "alice", iat: NOW, exp: NOW + 3600, ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

const segment = (json: unknown) => Buffer.from(JSON.stringify(json)).toString("base64url");

/** An unsigned token (`alg: none`). */
export function unsigned(claims: JWTPayload = { sub: "mallory", exp: NOW + 3600 }): string {
  return `${segment({ alg: "none", typ: "JWT" })}.${segment(claims)}.`;
}

/** An HS256 token whose HMAC secret is `secret` text (the key-confusion attack uses a public key here). */
export async function hmacWith(secret: string, kid: string, claims: JWTPayload = { sub: "mallory", exp: NOW + 3600 }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid }).sign(new TextEncoder().encode(secret));
}
