// Base64url without padding (RFC 7515 section 2), as JWS compact segments and JWK members use it.
// Strict: padding, the standard alphabet and non-zero trailing bits are refused.

function sextet(c: i32): i32 {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c == 45) return 62; // -
  if (c == 95) return 63; // _
  return -1;
}

/** The decoded bytes, or null when `text` is not canonical unpadded base64url. */
export function decodeBase64Url(text: string): Uint8Array | null {
  const length = text.length;
  const tail = length % 4;
  if (tail == 1) return null;
  const out = new Uint8Array((length / 4) * 3 + (tail == 0 ? 0 : tail - 1));
  let written = 0;
  for (let i = 0; i < length; i += 4) {
    const count = min(4, length - i);
    let group = 0;
    for (let j = 0; j < 4; j++) {
      const value = j < count ? sextet(text.charCodeAt(i + j)) : 0;
      if (value < 0) return null;
      group = (group << 6) | value;
    }
    const bytes = count - 1;
    for (let k = 0; k < bytes; k++) out[written++] = <u8>((group >> (16 - 8 * k)) & 255);
    // The bits after the last whole byte must be zero in canonical base64url.
    if (count < 4 && (group & ((1 << (8 * (3 - bytes))) - 1)) != 0) return null;
  }
  return out;
}

/** `text` as UTF-8 bytes. */
export function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}
