// The JWS compact form (header.payload.signature) and the registered claim checks.
import { Base64Url, JsonValue, Utf8 } from "@portcullis/sdk";

export class Token {
  constructor(
    public readonly alg: string,
    public readonly kid: string | null,
    public readonly claims: JsonValue,
    public readonly signingInput: Uint8Array,
    public readonly signature: Uint8Array,
  ) {}
}

function jsonSegment(segment: string): JsonValue | null {
  const bytes = Base64Url.decode(segment);
  if (bytes === null) return null;
  const json = JsonValue.parse(Utf8.decode(bytes));
  return json !== null && json.isObject ? json : null;
}

/** The parsed token, or null when it is not a well-formed JWS with JSON object header and claims. */
export function parseToken(text: string): Token | null {
  const parts = text.split(".");
  if (parts.length != 3) return null;
  const header = jsonSegment(parts[0]);
  const claims = jsonSegment(parts[1]);
  const signature = Base64Url.decode(parts[2]);
  if (header === null || claims === null || signature === null) return null;
  const alg = header.get("alg");
  if (alg === null || !alg.isString) return null;
  const kid = header.get("kid");
  if (kid !== null && !kid.isString) return null;
  // JWE and unencoded payloads ("b64": false) are not JWTs this policy accepts.
  if (header.has("enc") || header.has("crit")) return null;
  const kidText: string | null = kid === null ? null : kid.stringValue;
  return new Token(alg.stringValue, kidText, claims, Utf8.encode(parts[0] + "." + parts[1]), signature);
}

/** The rejection code of the first registered claim that fails, or "" when all pass. */
export function claimProblem(
  claims: JsonValue, nowSeconds: f64, skewSeconds: f64, issuers: string[], audiences: string[], required: string[],
): string {
  for (let i = 0; i < required.length; i++) if (!claims.has(required[i])) return "JWT_CLAIM_MISSING";
  const exp = claims.get("exp");
  if (exp !== null) {
    if (!exp.isNumber) return "JWT_MALFORMED";
    if (nowSeconds > exp.numberValue + skewSeconds) return "JWT_EXPIRED";
  }
  const nbf = claims.get("nbf");
  if (nbf !== null) {
    if (!nbf.isNumber) return "JWT_MALFORMED";
    if (nowSeconds + skewSeconds < nbf.numberValue) return "JWT_NOT_YET_VALID";
  }
  if (issuers.length > 0) {
    const iss = claims.get("iss");
    if (iss === null || !iss.isString || !issuers.includes(iss.stringValue)) return "JWT_ISSUER_INVALID";
  }
  if (audiences.length > 0 && !hasAudience(claims.get("aud"), audiences)) return "JWT_AUDIENCE_INVALID";
  return "";
}

function hasAudience(aud: JsonValue | null, accepted: string[]): bool {
  if (aud === null) return false;
  if (aud.isString) return accepted.includes(aud.stringValue);
  if (!aud.isArray) return false;
  for (let i = 0; i < aud.length; i++) {
    const item = aud.at(i);
    if (item.isString && accepted.includes(item.stringValue)) return true;
  }
  return false;
}
