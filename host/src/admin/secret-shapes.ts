export const REDACTED = "[redacted]";

/** JWK members that hold private or symmetric key material (RFC 7518 section 6). */
export const JWK_SECRET_MEMBERS = new Set(["k", "d", "p", "q", "dp", "dq", "qi", "oth"]);

const PASSWORD_HASH =
  /^(?:\$(?:2[abxy]?|1|5|6|apr1|y|gy|7|argon2(?:id|i|d)|scrypt|pbkdf2[-\w]*|sha1|md5)\$|\{(?:S?SHA|SHA256|SSHA256|SHA512|SSHA512|CRYPT|MD5|SMD5)\})/i;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*):[^/?#@\s]*@/gi;
const URL_TOKEN = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@:\s]+@/gi;
const AUTH_SCHEME = /^\s*(Bearer|Basic|Digest|Token|ApiKey)\s+\S.*$/i;

/**
 * A string with the secrets it holds replaced, decided by what they are: password hashes, PEM private
 * keys, credentials in URLs (any scheme: redis://:pw@, https://user:pw@) and Authorization-style values.
 */
export function redactString(value: string): string {
  if (PASSWORD_HASH.test(value)) return REDACTED;
  if (AUTH_SCHEME.test(value)) return value.replace(AUTH_SCHEME, `$1 ${REDACTED}`);
  return value.replace(PEM_PRIVATE_KEY, REDACTED).replace(URL_PASSWORD, `$1:${REDACTED}@`).replace(URL_TOKEN, `$1${REDACTED}@`);
}

/** True for an object that is a JWK (it has `kty`). */
export function isJwk(value: Record<string, unknown>): boolean {
  return typeof value.kty === "string";
}
