// W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
// version "-" trace-id "-" parent-id "-" trace-flags, all lower-case hex.
import { Hex } from "@portcullis/sdk";

export class TraceParent {
  constructor(public traceId: string, public parentId: string, public sampled: bool) {}

  /** Version 00, with only the sampled flag (other flags are not propagated). */
  toString(): string {
    return "00-" + this.traceId + "-" + this.parentId + (this.sampled ? "-01" : "-00");
  }
}

const VERSION_00_LENGTH = 55;

/**
 * Parses one `traceparent` value; null when invalid: version ff, upper-case or non-hex digits, wrong
 * lengths, an all-zero trace or parent id, or extra text after a version 00 value. Later versions are
 * read by their version 00 prefix, as the specification asks, when what follows starts with "-".
 */
export function parseTraceparent(value: string): TraceParent | null {
  if (value.length < VERSION_00_LENGTH) return null;
  const version = value.substring(0, 2);
  if (!Hex.isLowerHex(version) || version == "ff") return null;
  if (value.length > VERSION_00_LENGTH && (version == "00" || value.charCodeAt(VERSION_00_LENGTH) != 0x2d)) return null;
  if (value.charCodeAt(2) != 0x2d || value.charCodeAt(35) != 0x2d || value.charCodeAt(52) != 0x2d) return null;
  const traceId = value.substring(3, 35);
  const parentId = value.substring(36, 52);
  const flags = value.substring(53, 55);
  if (!Hex.isLowerHex(traceId) || !Hex.isLowerHex(parentId) || !Hex.isLowerHex(flags)) return null;
  if (isAllZero(traceId) || isAllZero(parentId)) return null;
  return new TraceParent(traceId, parentId, (Hex.digit(flags.charCodeAt(1)) & 1) != 0);
}

/**
 * A new id: lower-case hex of `bytes[from, to)`. All-zero ids are invalid; in that (2^-64 or less) case the
 * last digit becomes 1 rather than drawing again.
 */
export function idFrom(bytes: Uint8Array, from: i32, to: i32): string {
  const id = Hex.encode(bytes.subarray(from, to));
  return isAllZero(id) ? id.substring(0, id.length - 1) + "1" : id;
}

function isAllZero(text: string): bool {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) != 0x30) return false;
  return true;
}
