// Verification keys (JWKs) and the check of one token signature against them. Every cryptographic
// operation is the host's: HMAC and constant-time comparison for HS*, verify-signature for the rest.
import { Base64Url, Crypto, HashAlgorithm, JsonValue, SignatureAlgorithm } from "@portcullis/sdk";

export const ALGORITHMS: string[] = [
  "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

/** Where keys come from (inline, a JWKS file or a JWKS URL). */
export abstract class KeySource {
  /** The current keys (`refresh`: a token named an unknown kid), or null when none are usable. */
  abstract keys(refresh: bool): Jwk[] | null;
  /** True when asking again with `refresh` may find keys it does not have now. */
  get refreshable(): bool { return true; }
}

export class InlineKeys extends KeySource {
  constructor(private readonly list: Jwk[]) { super(); }
  keys(refresh: bool): Jwk[] | null { return this.list; }
  get refreshable(): bool { return false; }
}

/** One JWK: its JSON text for the host, and for `oct` keys the decoded secret. */
export class Jwk {
  constructor(
    public readonly kid: string | null,
    public readonly kty: string,
    public readonly alg: string | null,
    public readonly use: string | null,
    public readonly text: string,
    public readonly secret: Uint8Array | null,
  ) {}
}

function memberOf(json: JsonValue, name: string): string | null {
  const value = json.get(name);
  return value !== null && value.isString ? value.stringValue : null;
}

/** A key from its JWK object, or null with `problem` set when it cannot be used. */
export function jwkFrom(json: JsonValue, problem: string[]): Jwk | null {
  const kty = memberOf(json, "kty");
  if (!json.isObject || kty === null) { problem.push("a JWK needs a kty"); return null; }
  let secret: Uint8Array | null = null;
  if (kty == "oct") {
    const k = memberOf(json, "k");
    secret = k === null ? null : Base64Url.decode(k);
    if (secret === null || secret.length == 0) { problem.push("an oct JWK needs k in base64url"); return null; }
  } else if (json.has("d")) {
    problem.push("a private key was given; give only the public JWK");
    return null;
  }
  return new Jwk(memberOf(json, "kid"), kty, memberOf(json, "alg"), memberOf(json, "use"), json.toString(), secret);
}

/** The usable keys of a JWKS document (`{"keys": [...]}`); entries that are not usable JWKs are skipped. */
export function keysOfJwks(text: string): Jwk[] | null {
  const document = JsonValue.parse(text);
  if (document === null || !document.isObject) return null;
  const list = document.get("keys");
  if (list === null || !list.isArray) return null;
  const keys = new Array<Jwk>();
  for (let i = 0; i < list.length; i++) {
    const key = jwkFrom(list.at(i), []);
    if (key !== null) keys.push(key);
  }
  return keys;
}

/** The HMAC hash of an HS* algorithm, or -1. */
export function hmacHash(alg: string): i32 {
  if (alg == "HS256") return HashAlgorithm.Sha256;
  if (alg == "HS384") return HashAlgorithm.Sha384;
  if (alg == "HS512") return HashAlgorithm.Sha512;
  return -1;
}

function signatureAlgorithm(alg: string): SignatureAlgorithm {
  const index = ALGORITHMS.indexOf(alg) - 3; // after the three HS* entries, in WIT order
  return <SignatureAlgorithm>index;
}

export enum Verification { Valid, BadSignature, UnknownKey, KeyMismatch }

/**
 * Checks `signature` over `input` with the keys that fit: the token's `kid` (when it has one), an
 * `alg` and `use` on the key that agree, `oct` keys for HS* only and never for the others (so an
 * RSA public key can never serve as an HMAC secret). The host refuses a key type that does not fit.
 */
export function verify(keys: Jwk[], alg: string, kid: string | null, input: Uint8Array, signature: Uint8Array): Verification {
  const hash = hmacHash(alg);
  let named = false;
  let fitting = false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (kid !== null && key.kid != kid) continue;
    named = true;
    const keyAlg = key.alg;
    const use = key.use;
    if ((keyAlg !== null && keyAlg != alg) || (use !== null && use != "sig")) continue;
    if (hash >= 0) {
      const secret = key.secret;
      if (key.kty != "oct" || secret === null) continue;
      fitting = true;
      if (Crypto.constantTimeEqual(Crypto.hmac(<HashAlgorithm>hash, secret, input), signature)) return Verification.Valid;
    } else {
      if (key.kty == "oct") continue;
      const result = Crypto.verifySignature(signatureAlgorithm(alg), key.text, input, signature);
      if (!result.isOk) continue;
      fitting = true;
      if (result.ok) return Verification.Valid;
    }
  }
  if (!named) return Verification.UnknownKey;
  return fitting ? Verification.BadSignature : Verification.KeyMismatch;
}
