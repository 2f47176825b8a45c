/** The base-64 alphabet of Unix crypt(3) hashes (not RFC 4648's). */
const CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Encodes the 24-bit group `b2 b1 b0` as `count` characters, least significant six bits first. */
export function cryptBase64Group(b2: number, b1: number, b0: number, count: number): string {
  let word = (b2 << 16) | (b1 << 8) | b0;
  let out = "";
  for (let i = 0; i < count; i++) {
    out += CRYPT_ALPHABET[word & 0x3f];
    word >>>= 6;
  }
  return out;
}
