// Query strings as application/x-www-form-urlencoded (the WHATWG URL Standard, as URLSearchParams and
// the gateway's expressions read them): `&`-separated pairs, `+` for space, `%XX` escapes decoded as
// UTF-8 bytes (a `%` not followed by two hex digits stays literal; invalid UTF-8 becomes U+FFFD).
import { Utf8 } from "./utf8";

function hexValue(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** `text` with `+` as space and percent escapes decoded. */
export function formDecode(text: string): string {
  if (text.indexOf("%") < 0 && text.indexOf("+") < 0) return text;
  const bytes = Utf8.encode(text);
  const out = new Uint8Array(bytes.length);
  let written = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = <i32>bytes[i];
    if (byte == 43) {
      out[written++] = 32;
      continue;
    }
    if (byte == 37 && i + 2 < bytes.length) {
      const high = hexValue(bytes[i + 1]);
      const low = hexValue(bytes[i + 2]);
      if (high >= 0 && low >= 0) {
        out[written++] = <u8>((high << 4) | low);
        i += 2;
        continue;
      }
    }
    out[written++] = <u8>byte;
  }
  return Utf8.decode(out.subarray(0, written));
}

const HEX_DIGITS = "0123456789ABCDEF";

/**
 * `text` encoded for a query component: every UTF-8 byte but the unreserved characters
 * (A-Z a-z 0-9 - . _ ~) and those in `keep` as `%XX`.
 */
export function formEncode(text: string, keep: string = ""): string {
  const bytes = Utf8.encode(text);
  const out = new Array<string>();
  for (let i = 0; i < bytes.length; i++) {
    const b = <i32>bytes[i];
    const unreserved = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2d || b == 0x2e || b == 0x5f || b == 0x7e;
    out.push(unreserved || (b < 0x80 && keep.indexOf(String.fromCharCode(b)) >= 0) ? String.fromCharCode(b) : "%" + HEX_DIGITS.charAt(b >> 4) + HEX_DIGITS.charAt(b & 15));
  }
  return out.join("");
}

/** One `name=value` pair of a query: `rawName` as written, `name` and `value` decoded. */
export class QueryParam {
  constructor(public readonly rawName: string, public readonly name: string, public readonly value: string) {}
}

/** The pairs of `query` (without `?`) in order; empty pairs (`a=1&&b=2`) are skipped. */
export function parseQuery(query: string): Array<QueryParam> {
  const params = new Array<QueryParam>();
  if (query.length == 0) return params;
  const parts = query.split("&");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.length == 0) continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.substring(0, eq);
    const value = eq < 0 ? "" : part.substring(eq + 1);
    params.push(new QueryParam(name, formDecode(name), formDecode(value)));
  }
  return params;
}

/** `query` without every pair whose decoded name is `name`; the other pairs are kept as written. */
export function withoutQueryParam(query: string, name: string): string {
  if (query.length == 0) return query;
  const parts = query.split("&");
  const kept = new Array<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const eq = part.indexOf("=");
    if (part.length > 0 && formDecode(eq < 0 ? part : part.substring(0, eq)) == name) continue;
    kept.push(part);
  }
  return kept.join("&");
}
