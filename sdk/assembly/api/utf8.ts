// UTF-8 conversions. `String.UTF8.decode` does not check its input; `Utf8.decode` follows the WHATWG
// Encoding Standard (each maximal invalid subsequence becomes one U+FFFD), as Node's TextDecoder and
// URLSearchParams do, so a guest reads bytes the way the gateway does.

const REPLACEMENT: i32 = 0xfffd;

/** UTF-8 encoding and decoding of strings (invalid input replaced or refused). */
export namespace Utf8 {
  /** `text` as UTF-8 bytes. */
  export function encode(text: string): Uint8Array {
    return Uint8Array.wrap(String.UTF8.encode(text));
  }

  /** Decodes `bytes`, replacing invalid sequences with U+FFFD. */
  export function decode(bytes: Uint8Array): string {
    return decodeBytes(bytes, false)!;
  }

  /** Decodes `bytes`, or null when they are not well-formed UTF-8. */
  export function decodeStrict(bytes: Uint8Array): string | null {
    return decodeBytes(bytes, true);
  }
}

function decodeBytes(bytes: Uint8Array, strict: bool): string | null {
  const units = new Array<i32>();
  let needed = 0;
  let seen = 0;
  let codePoint = 0;
  let lower = 0x80;
  let upper = 0xbf;
  for (let i = 0; i < bytes.length; i++) {
    const byte = <i32>bytes[i];
    if (needed == 0) {
      if (byte <= 0x7f) {
        units.push(byte);
      } else if (byte >= 0xc2 && byte <= 0xdf) {
        needed = 1;
        codePoint = byte & 0x1f;
      } else if (byte >= 0xe0 && byte <= 0xef) {
        if (byte == 0xe0) lower = 0xa0;
        if (byte == 0xed) upper = 0x9f;
        needed = 2;
        codePoint = byte & 0xf;
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        if (byte == 0xf0) lower = 0x90;
        if (byte == 0xf4) upper = 0x8f;
        needed = 3;
        codePoint = byte & 0x7;
      } else {
        if (strict) return null;
        units.push(REPLACEMENT);
      }
      continue;
    }
    if (byte < lower || byte > upper) {
      // The sequence broke off: one replacement for it, and this byte starts afresh.
      if (strict) return null;
      needed = seen = codePoint = 0;
      lower = 0x80;
      upper = 0xbf;
      units.push(REPLACEMENT);
      i--;
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    codePoint = (codePoint << 6) | (byte & 0x3f);
    if (++seen < needed) continue;
    if (codePoint >= 0x10000) {
      units.push(0xd800 | ((codePoint - 0x10000) >> 10));
      units.push(0xdc00 | ((codePoint - 0x10000) & 0x3ff));
    } else units.push(codePoint);
    needed = seen = codePoint = 0;
  }
  if (needed != 0) {
    if (strict) return null;
    units.push(REPLACEMENT);
  }
  return String.fromCharCodes(units);
}
