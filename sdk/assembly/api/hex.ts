// Hexadecimal text of bytes (digests, keys, trace ids): lower-case out, either case in.

const DIGITS = "0123456789abcdef";

/** Hexadecimal text of bytes: lower-case out, either case in. */
export namespace Hex {
  /** Lower-case hex of `bytes` (two digits a byte). */
  export function encode(bytes: Uint8Array): string {
    const out = new Array<string>(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = DIGITS.charAt(bytes[i] >> 4) + DIGITS.charAt(bytes[i] & 15);
    return out.join("");
  }

  /** The value of one hex digit (either case), or -1. */
  export function digit(code: i32): i32 {
    if (code >= 0x30 && code <= 0x39) return code - 0x30;
    if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
    if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
    return -1;
  }

  /** The bytes of `text` (an even number of hex digits, either case), or null. */
  export function decode(text: string): Uint8Array | null {
    if (text.length % 2 != 0) return null;
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) {
      const high = digit(text.charCodeAt(2 * i));
      const low = digit(text.charCodeAt(2 * i + 1));
      if (high < 0 || low < 0) return null;
      out[i] = <u8>((high << 4) | low);
    }
    return out;
  }

  /** Whether every character of `text` is 0-9 or a-f (empty text too): formats that require lower case. */
  export function isLowerHex(text: string): bool {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
    }
    return true;
  }
}
