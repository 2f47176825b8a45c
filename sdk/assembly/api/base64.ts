// Base64 (RFC 4648 section 4, padded) and base64url (section 5, unpadded as JWS uses it). Decoding
// is strict: only canonical text decodes (right alphabet, right padding, zero trailing bits), so
// two spellings of one credential never both pass; anything else gives null.

const STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The 6-bit value of `c` in the alphabet whose last two characters are `c62` and `c63`, or -1. */
function sextet(c: i32, c62: i32, c63: i32): i32 {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c == c62) return 62;
  if (c == c63) return 63;
  return -1;
}

function encodeWith(bytes: Uint8Array, alphabet: string, pad: bool): string {
  const parts = new Array<string>();
  for (let i = 0; i < bytes.length; i += 3) {
    const count = min(3, bytes.length - i);
    let group: i32 = <i32>bytes[i] << 16;
    if (count > 1) group |= <i32>bytes[i + 1] << 8;
    if (count > 2) group |= <i32>bytes[i + 2];
    for (let j = 0; j < 4; j++) {
      if (j <= count) parts.push(alphabet.charAt((group >> (18 - 6 * j)) & 63));
      else if (pad) parts.push("=");
    }
  }
  return parts.join("");
}

/** Decodes `length` characters of `text` (no padding among them); null on a bad character or trailing bits. */
function decodeWith(text: string, length: i32, c62: i32, c63: i32): Uint8Array | null {
  const tail = length % 4;
  if (tail == 1) return null;
  const out = new Uint8Array((length / 4) * 3 + (tail == 0 ? 0 : tail - 1));
  let written = 0;
  for (let i = 0; i < length; i += 4) {
    const count = min(4, length - i);
    let group = 0;
    for (let j = 0; j < 4; j++) {
      const value = j < count ? sextet(text.charCodeAt(i + j), c62, c63) : 0;
      if (value < 0) return null;
      group = (group << 6) | value;
    }
    const bytes = count - 1;
    for (let k = 0; k < bytes; k++) out[written++] = <u8>((group >> (16 - 8 * k)) & 255);
    // The bits after the last whole byte must be zero in canonical text.
    if (count < 4 && (group & ((1 << (8 * (3 - bytes))) - 1)) != 0) return null;
  }
  return out;
}

/** Base64 with the standard alphabet and padding (RFC 4648 section 4); decoding accepts only canonical text. */
export namespace Base64 {
  /** Standard alphabet with `=` padding. */
  export function encode(bytes: Uint8Array): string {
    return encodeWith(bytes, STANDARD, true);
  }

  /** The bytes of canonical padded base64, or null (no whitespace, no missing or extra `=`). */
  export function decode(text: string): Uint8Array | null {
    const length = text.length;
    if (length % 4 != 0) return null;
    let padding = 0;
    if (length > 0 && text.charCodeAt(length - 1) == 61) padding = text.charCodeAt(length - 2) == 61 ? 2 : 1;
    return decodeWith(text, length - padding, 43, 47);
  }
}

/** Base64url without padding (RFC 4648 section 5, as JWS uses it); decoding accepts only canonical text. */
export namespace Base64Url {
  /** URL-safe alphabet without padding (RFC 7515 section 2). */
  export function encode(bytes: Uint8Array): string {
    return encodeWith(bytes, URL_SAFE, false);
  }

  /** The bytes of canonical unpadded base64url, or null (`=`, `+` and `/` are refused). */
  export function decode(text: string): Uint8Array | null {
    return decodeWith(text, text.length, 45, 95);
  }
}
