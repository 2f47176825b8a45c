import { createPublicKey, type KeyObject } from "node:crypto";
import type { CryptoError, SignatureAlgorithm } from "../contract.js";

/** What a signature algorithm requires of its key. */
interface KeyRequirement {
  jwsName: string;
  kty: "RSA" | "EC" | "OKP";
  curves?: readonly string[];
}

const REQUIREMENTS: Record<SignatureAlgorithm, KeyRequirement> = {
  rs256: { jwsName: "RS256", kty: "RSA" },
  rs384: { jwsName: "RS384", kty: "RSA" },
  rs512: { jwsName: "RS512", kty: "RSA" },
  ps256: { jwsName: "PS256", kty: "RSA" },
  ps384: { jwsName: "PS384", kty: "RSA" },
  ps512: { jwsName: "PS512", kty: "RSA" },
  es256: { jwsName: "ES256", kty: "EC", curves: ["P-256"] },
  es384: { jwsName: "ES384", kty: "EC", curves: ["P-384"] },
  es512: { jwsName: "ES512", kty: "EC", curves: ["P-521"] },
  eddsa: { jwsName: "EdDSA", kty: "OKP", curves: ["Ed25519", "Ed448"] },
};

/** JWK members that only private or symmetric keys carry. */
const SECRET_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const MIN_RSA_BITS = 2048;
const CACHE_LIMIT = 512;

interface ParsedJwk {
  key: KeyObject;
  kty: string;
  crv: string | undefined;
  alg: string | undefined;
  use: string | undefined;
}

/** Parsed public keys by their JWK text; the oldest entry goes when the cache is full. */
const cache = new Map<string, ParsedJwk>();

export type KeyLookup = { tag: "ok"; val: KeyObject } | { tag: "err"; val: CryptoError };

/** The public key of `jwkText` if it suits `algorithm`, else the reason as a crypto-error. */
export function publicKeyFor(algorithm: SignatureAlgorithm, jwkText: string): KeyLookup {
  const parsed = cache.get(jwkText) ?? parseAndCache(jwkText);
  if ("tag" in parsed) return parsed;
  const requirement = REQUIREMENTS[algorithm];
  const mismatch = (message: string): KeyLookup => ({ tag: "err", val: { tag: "algorithm-mismatch", val: message } });
  if (parsed.kty !== requirement.kty) return mismatch(`${requirement.jwsName} needs a ${requirement.kty} key, got ${parsed.kty}`);
  if (requirement.curves && !requirement.curves.includes(parsed.crv ?? "")) {
    return mismatch(`${requirement.jwsName} needs curve ${requirement.curves.join(" or ")}, got ${parsed.crv}`);
  }
  if (parsed.alg !== undefined && parsed.alg !== requirement.jwsName) {
    return mismatch(`the key is for ${parsed.alg}, not ${requirement.jwsName}`);
  }
  if (parsed.use !== undefined && parsed.use !== "sig") return mismatch(`the key's use is "${parsed.use}", not "sig"`);
  return { tag: "ok", val: parsed.key };
}

function parseAndCache(jwkText: string): ParsedJwk | KeyLookup {
  const invalid = (message: string): KeyLookup => ({ tag: "err", val: { tag: "invalid-key", val: message } });
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(jwkText) as Record<string, unknown>;
  } catch (error) {
    return invalid(`the JWK is not JSON: ${(error as Error).message}`);
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return invalid("the JWK is not a JSON object");
  if (jwk.kty === "oct") return invalid("a symmetric (oct) key cannot verify a public-key signature");
  const secret = SECRET_MEMBERS.find((member) => member in jwk);
  if (secret) return invalid(`the JWK carries private key material ("${secret}"); give the public key only`);
  if (jwk.kty !== "RSA" && jwk.kty !== "EC" && jwk.kty !== "OKP") return invalid(`unsupported key type ${String(jwk.kty)}`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as never, format: "jwk" });
  } catch (error) {
    return invalid(`not a valid ${jwk.kty} public JWK: ${(error as Error).message}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (jwk.kty === "RSA" && (bits ?? 0) < MIN_RSA_BITS) return invalid(`RSA keys need at least ${MIN_RSA_BITS} bits, got ${bits}`);
  const parsed: ParsedJwk = {
    key,
    kty: jwk.kty,
    crv: typeof jwk.crv === "string" ? jwk.crv : undefined,
    alg: typeof jwk.alg === "string" ? jwk.alg : undefined,
    use: typeof jwk.use === "string" ? jwk.use : undefined,
  };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(jwkText, parsed);
  return parsed;
}
