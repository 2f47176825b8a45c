// Operator regular expressions (RE2, run by the host's `regex` capability) over many texts at once: the
// texts of one place (the body's JSON string values, the query values, the header fields) are joined by
// NUL bytes and searched with one `find-all` per pattern, instead of one host call per text. Each text
// still gets exactly what a search of it alone would give:
// - a match inside one text is what that text's own search finds there (NUL is not a word character,
//   so `\b` sees it as the text's edge); patterns with `^`, `$`, `\A` or `\z` are searched text by text;
// - a text touched by a match that reaches a NUL (it spans texts, or starts or ends on one) is searched
//   again alone, and the joined search's matches in it are dropped.
// A text the host refuses (above 1 MiB) counts as one match covering it all, and the rest of a text past
// the host's 10,000 matches as one more: failing closed.
import { REGEX_MAX_MATCHES, RegexMatches, Utf8, Utf8Offsets } from "@portcullis/sdk";
import { Finding, Rule } from "./scanner";

const MAX_JOINED_BYTES = 1 << 20;

/** The UTF-8 of one text and where it sits in the joined bytes. */
class Segment {
  start: i32 = 0;
  constructor(public readonly text: string, public readonly bytes: Uint8Array) {}
  get end(): i32 {
    return this.start + this.bytes.length;
  }
}

/** Appends to `found[i]` the matches of `rule`'s regex in `texts[i]`, in order; empty matches are ignored. */
export function searchRegex(rule: Rule, texts: Array<string>, found: Array<Array<Finding>>): void {
  const segments = new Array<Segment>();
  for (let i = 0; i < texts.length; i++) segments.push(new Segment(texts[i], Utf8.encode(texts[i])));
  let from = 0;
  while (from < segments.length) {
    if (!rule.joinable || segments[from].bytes.length >= MAX_JOINED_BYTES) {
      searchAlone(rule, segments[from], found[from]);
      from++;
      continue;
    }
    let to = from + 1;
    let bytes = segments[from].bytes.length;
    while (to < segments.length && bytes + 1 + segments[to].bytes.length <= MAX_JOINED_BYTES) bytes += 1 + segments[to++].bytes.length;
    from = searchJoined(rule, segments, from, to, bytes, found);
  }
}

/**
 * Searches segments [from, to) joined, records the matches of the texts no match crossed, and searches
 * the others alone. Returns where to go on: `to`, or the segment after the last match when the host's
 * cap on matches was reached.
 */
function searchJoined(rule: Rule, segments: Array<Segment>, from: i32, to: i32, size: i32, found: Array<Array<Finding>>): i32 {
  const joined = new Uint8Array(size);
  let offset = 0;
  for (let k = from; k < to; k++) {
    const segment = segments[k];
    segment.start = offset;
    joined.set(segment.bytes, offset);
    offset = segment.end + 1;
  }
  const result = rule.regex!.findAllBytes(joined);
  if (!result.isOk) {
    for (let k = from; k < to; k++) searchAlone(rule, segments[k], found[k]);
    return to;
  }
  const dirty = new Array<bool>(to - from);
  const inside = new Array<i32>(); // segment, start, end of each match inside one segment
  let k = from;
  let last = to - 1;
  for (let m = 0; m < result.length; m++) {
    const whole = result.matches[m].whole;
    const start = <i32>whole.start;
    const end = <i32>whole.end;
    if (start == end) continue;
    while (k + 1 < to && segments[k + 1].start <= start) k++;
    let lastTouched = k;
    while (lastTouched + 1 < to && segments[lastTouched + 1].start < end) lastTouched++;
    if (lastTouched == k && end <= segments[k].end && start < segments[k].end) {
      inside.push(k);
      inside.push(start - segments[k].start);
      inside.push(end - segments[k].start);
    } else for (let d = k; d <= lastTouched; d++) dirty[d - from] = true;
    last = lastTouched;
  }
  let next = to;
  if (<u32>result.length >= REGEX_MAX_MATCHES) {
    dirty[last - from] = true;
    next = last + 1;
  }
  addInside(rule, segments, inside, dirty, from, next, found);
  for (let d = from; d < next; d++) if (dirty[d - from]) searchAlone(rule, segments[d], found[d]);
  return next;
}

function addInside(rule: Rule, segments: Array<Segment>, inside: Array<i32>, dirty: Array<bool>, from: i32, to: i32, found: Array<Array<Finding>>): void {
  let offsets: Utf8Offsets | null = null;
  let current = -1;
  for (let i = 0; i < inside.length; i += 3) {
    const k = inside[i];
    if (k >= to || dirty[k - from]) continue;
    if (k != current) {
      offsets = new Utf8Offsets(segments[k].text);
      current = k;
    }
    found[k].push(new Finding(rule, offsets!.charIndex(inside[i + 1]), offsets!.charIndex(inside[i + 2])));
  }
}

function searchAlone(rule: Rule, segment: Segment, found: Array<Finding>): void {
  if (segment.bytes.length == 0) return;
  const result: RegexMatches = rule.regex!.findAllBytes(segment.bytes);
  if (!result.isOk) {
    found.push(new Finding(rule, 0, segment.text.length));
    return;
  }
  const offsets = new Utf8Offsets(segment.text);
  let end = 0;
  for (let m = 0; m < result.length; m++) {
    const whole = result.matches[m].whole;
    if (whole.start == whole.end) continue;
    end = offsets.charIndex(<i32>whole.end);
    found.push(new Finding(rule, offsets.charIndex(<i32>whole.start), end));
  }
  // Past the host's cap the rest of the text is unsearched: it counts as a match too.
  if (<u32>result.length >= REGEX_MAX_MATCHES) found.push(new Finding(rule, end, segment.text.length));
}

/** False when the pattern may use an anchor (`^`, `$`, `\A`, `\z`) outside a character class: such patterns are searched text by text. */
export function isJoinable(pattern: string): bool {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c == 0x5c) {
      const next = i + 1 < pattern.length ? pattern.charCodeAt(i + 1) : 0;
      if (!inClass && (next == 0x41 || next == 0x7a)) return false;
      i++;
    } else if (inClass) {
      if (c == 0x5d) inClass = false;
    } else if (c == 0x5b) {
      inClass = true;
      if (i + 1 < pattern.length && pattern.charCodeAt(i + 1) == 0x5e) i++;
      if (i + 1 < pattern.length && pattern.charCodeAt(i + 1) == 0x5d) i++; // a leading "]" is literal
    } else if (c == 0x5e || c == 0x24) return false;
  }
  return true;
}
