// The 400 BODY_INVALID body: the schema's violations, capped in count and in serialized size, each
// path and message cut short, so a huge or hostile document never produces a huge error.
import { JsonValue, Violation } from "@portcullis/sdk";

/** Longest path or message kept, in characters (JSON Pointers can carry the client's own keys). */
const MAX_TEXT = 200;
/** Room kept for the envelope (`code`, `message`, `omitted`) around the list. */
const ENVELOPE_BYTES = 160;

function cut(text: string): string {
  return text.length <= MAX_TEXT ? text : text.substring(0, MAX_TEXT) + "...";
}

export function violationsBody(violations: Array<Violation>, maxCount: i32, maxBytes: i32): JsonValue {
  const list = JsonValue.array();
  let bytes = ENVELOPE_BYTES;
  for (let i = 0; i < violations.length && list.length < maxCount; i++) {
    const entry = JsonValue.object()
      .set("path", JsonValue.string(cut(violations[i].path)))
      .set("message", JsonValue.string(cut(violations[i].message)));
    const size = String.UTF8.byteLength(entry.toString()) + 1;
    if (bytes + size > maxBytes) break;
    bytes += size;
    list.push(entry);
  }
  const body = JsonValue.object()
    .set("code", JsonValue.string("BODY_INVALID"))
    .set("message", JsonValue.string("the request body does not match the schema"))
    .set("violations", list);
  if (list.length < violations.length) body.set("omitted", JsonValue.number(<f64>(violations.length - list.length)));
  return body;
}
