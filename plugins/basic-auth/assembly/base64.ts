// Strict base64 (RFC 4648, standard alphabet, padding required) for the Basic credentials.
// The SDK has no decoder yet; this one refuses anything that is not canonical base64.

function sextet(c: i32): i32 {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c == 43) return 62; // +
  if (c == 47) return 63; // /
  return -1;
}

/** The decoded bytes, or null when `text` is not canonical padded base64. */
export function decodeBase64(text: string): Uint8Array | null {
  const length = text.length;
  if (length == 0 || length % 4 != 0) return null;
  let padding = 0;
  if (text.charCodeAt(length - 1) == 61) padding = text.charCodeAt(length - 2) == 61 ? 2 : 1;
  const out = new Uint8Array((length / 4) * 3 - padding);
  let written = 0;
  for (let i = 0; i < length; i += 4) {
    let group = 0;
    for (let j = 0; j < 4; j++) {
      const index = i + j;
      const isPad = index >= length - padding;
      const value = isPad ? 0 : sextet(text.charCodeAt(index));
      if (value < 0) return null;
      group = (group << 6) | value;
    }
    for (let k = 0; k < 3 && written < out.length; k++) out[written++] = <u8>((group >> (16 - 8 * k)) & 255);
    // Bits below the padding must be zero in canonical base64.
    if (i + 4 == length && padding > 0 && (group & ((1 << (8 * padding)) - 1)) != 0) return null;
  }
  return out;
}
