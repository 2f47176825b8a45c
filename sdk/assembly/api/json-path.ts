// JSON paths: parsed once (in `configure`), then used to find, set, remove, rename or replace
// values of a parsed JsonValue. The syntax is a small subset of JSONPath (RFC 9535):
//
//   $                  the document
//   .name              a member (name: letters, digits, `_`, `-`, `$`; not starting with a digit or `-`)
//   ["odd name"]       a member with any name ('single' quotes too; `\"`, `\'`, `\\` escapes)
//   [3]                an item of an array (from 0)
//   .* or [*]          every member of an object, every item of an array
//   ..name, ..["x"]    a member of that name at any depth below (including directly below)
//
// e.g. `$.customer.iban`, `$.accounts[*].number`, `$..password`, `$["x-trace"][0]`.
import { JsonKind, JsonValue } from "./json";

enum Step {
  Member,
  Index,
  Wildcard,
  Descendant,
}

class Segment {
  constructor(public step: Step, public name: string, public index: i32) {}
}

/** One place a path matched: `value` is `parent`'s member `key`, or item `index` (-1 for a member). */
export class JsonMatch {
  constructor(public parent: JsonValue | null, public key: string, public index: i32, public value: JsonValue) {}

  /** Puts `value` in this place (the document itself, a match of `$`, cannot be replaced). */
  replace(value: JsonValue): bool {
    const parent = this.parent;
    if (parent === null) return false;
    this.value = value;
    if (this.index >= 0) return parent.setAt(this.index, value);
    parent.set(this.key, value);
    return true;
  }
}

let lastError = "";

/** A compiled JSONPath (a subset of RFC 9535) that finds, sets, removes and renames places in a JsonValue. */
export class JsonPath {
  private constructor(public readonly text: string, private readonly segments: Array<Segment>) {}

  /** Parses a path; on failure returns null and `JsonPath.lastError` says why, with the offset. */
  static parse(text: string): JsonPath | null {
    const parser = new PathParser(text);
    const segments = parser.parse();
    lastError = parser.error;
    return segments === null ? null : new JsonPath(text, segments);
  }

  static get lastError(): string {
    return lastError;
  }

  /** True for `$` alone: it matches the document, which cannot be set, removed or renamed. */
  get isRoot(): bool {
    return this.segments.length == 0;
  }

  /** The member name the path ends with, or null when it ends with an index or a wildcard. */
  get lastName(): string | null {
    if (this.segments.length == 0) return null;
    const last = this.segments[this.segments.length - 1];
    return last.step == Step.Member || last.step == Step.Descendant ? last.name : null;
  }

  /** Every place the path matches, in document order; a place reached twice is listed once. */
  matches(document: JsonValue): Array<JsonMatch> {
    return this.walk(document, false);
  }

  /** The first value the path matches, or null. */
  first(document: JsonValue): JsonValue | null {
    const found = this.walk(document, false);
    return found.length == 0 ? null : found[0].value;
  }

  /**
   * Sets the last member or item of the path to `value` wherever the rest matches, creating missing
   * objects for named members on the way; returns how many places were set. Each place gets its own
   * copy of `value` after the first.
   */
  set(document: JsonValue, value: JsonValue): i32 {
    if (this.isRoot) return 0;
    const last = this.segments[this.segments.length - 1];
    const parents = this.walkTo(document, this.segments.length - 1, true);
    let count = 0;
    for (let i = 0; i < parents.length; i++) {
      const parent = parents[i].value;
      if (last.step == Step.Member) {
        if (!parent.isObject) continue;
        parent.set(last.name, count == 0 ? value : copy(value));
        count++;
      } else if (last.step == Step.Index) {
        if (parent.setAt(last.index, count == 0 ? value : copy(value))) count++;
      } else {
        const targets = this.walkFrom(parents[i], last);
        for (let j = 0; j < targets.length; j++) if (targets[j].replace(count == 0 ? value : copy(value))) count++;
      }
    }
    return count;
  }

  /** Removes every matched member or item; returns how many were removed. */
  remove(document: JsonValue): i32 {
    const found = this.walk(document, false);
    let count = 0;
    for (let i = found.length - 1; i >= 0; i--) {
      const match = found[i];
      const parent = match.parent;
      if (parent === null) continue;
      // Found by identity, since removing items shifts the indexes of those after them.
      const at = parent.items.indexOf(match.value);
      if (at < 0) continue;
      if (parent.isObject) parent.remove(parent.keys[at]);
      else parent.removeAt(at);
      count++;
    }
    return count;
  }

  /** Renames every matched member to `to` (items of arrays have no name and are skipped); returns how many. */
  rename(document: JsonValue, to: string): i32 {
    const found = this.walk(document, false);
    let count = 0;
    for (let i = 0; i < found.length; i++) {
      const parent = found[i].parent;
      if (parent !== null && found[i].index < 0 && parent.rename(found[i].key, to)) count++;
    }
    return count;
  }

  private walk(document: JsonValue, create: bool): Array<JsonMatch> {
    return this.walkTo(document, this.segments.length, create);
  }

  /** Matches of the first `count` segments; `create` adds missing objects for named members. */
  private walkTo(document: JsonValue, count: i32, create: bool): Array<JsonMatch> {
    let current: Array<JsonMatch> = [new JsonMatch(null, "", -1, document)];
    for (let s = 0; s < count; s++) {
      const segment = this.segments[s];
      const next = new Array<JsonMatch>();
      for (let i = 0; i < current.length; i++) {
        const value = current[i].value;
        if (create && segment.step == Step.Member && value.isObject && !value.has(segment.name)) {
          value.set(segment.name, JsonValue.object());
        }
        const found = this.walkFrom(current[i], segment);
        for (let j = 0; j < found.length; j++) next.push(found[j]);
      }
      current = dedupe(next);
    }
    return current;
  }

  private walkFrom(from: JsonMatch, segment: Segment): Array<JsonMatch> {
    const out = new Array<JsonMatch>();
    const value = from.value;
    if (segment.step == Step.Member) {
      const index = value.isObject ? value.keys.indexOf(segment.name) : -1;
      if (index >= 0) out.push(new JsonMatch(value, segment.name, -1, value.items[index]));
    } else if (segment.step == Step.Index) {
      if (value.isArray && segment.index < value.length) out.push(new JsonMatch(value, "", segment.index, value.at(segment.index)));
    } else if (segment.step == Step.Wildcard) {
      children(value, out);
    } else {
      descendants(value, segment.name, out);
    }
    return out;
  }
}

function children(value: JsonValue, out: Array<JsonMatch>): void {
  const isObject = value.isObject;
  if (!isObject && !value.isArray) return;
  for (let i = 0; i < value.items.length; i++) {
    out.push(new JsonMatch(value, isObject ? value.keys[i] : "", isObject ? -1 : i, value.items[i]));
  }
}

/** Members named `name` anywhere below `value`, in document order (pre-order). */
function descendants(value: JsonValue, name: string, out: Array<JsonMatch>): void {
  if (!value.isObject && !value.isArray) return;
  for (let i = 0; i < value.items.length; i++) {
    const item = value.items[i];
    if (value.isObject && value.keys[i] == name) out.push(new JsonMatch(value, name, -1, item));
    descendants(item, name, out);
  }
}

function dedupe(matches: Array<JsonMatch>): Array<JsonMatch> {
  if (matches.length < 2) return matches;
  const seen = new Set<usize>();
  const out = new Array<JsonMatch>();
  for (let i = 0; i < matches.length; i++) {
    const id = changetype<usize>(matches[i].value);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(matches[i]);
  }
  return out;
}

/** A deep copy, so one value set in several places stays independent. */
function copy(value: JsonValue): JsonValue {
  if (value.kind != JsonKind.Array && value.kind != JsonKind.Object) return JsonValue.parse(value.toString())!;
  const out = value.isArray ? JsonValue.array() : JsonValue.object();
  for (let i = 0; i < value.items.length; i++) {
    if (value.isArray) out.push(copy(value.items[i]));
    else out.set(value.keys[i], copy(value.items[i]));
  }
  return out;
}

class PathParser {
  position: i32 = 0;
  error: string = "";
  constructor(public text: string) {}

  fail(message: string): Array<Segment> | null {
    if (this.error == "") this.error = message + " at offset " + this.position.toString();
    return null;
  }

  parse(): Array<Segment> | null {
    const text = this.text;
    if (text.length == 0 || text.charCodeAt(0) != 0x24) return this.fail("a path starts with '$'");
    this.position = 1;
    const segments = new Array<Segment>();
    while (this.position < text.length) {
      const c = text.charCodeAt(this.position);
      let segment: Segment | null = null;
      if (c == 0x2e) {
        this.position++;
        const descendant = this.position < text.length && text.charCodeAt(this.position) == 0x2e;
        if (descendant) this.position++;
        segment = this.afterDot(descendant);
      } else if (c == 0x5b) {
        segment = this.bracket(Step.Member);
      } else {
        return this.fail("expected '.' or '['");
      }
      if (segment === null) return null;
      segments.push(segment);
    }
    return segments;
  }

  afterDot(descendant: bool): Segment | null {
    const text = this.text;
    if (this.position >= text.length) return this.failSegment("expected a name after '.'");
    const c = text.charCodeAt(this.position);
    if (descendant && c == 0x5b) return this.bracket(Step.Descendant);
    if (c == 0x2a) {
      if (descendant) return this.failSegment("'..*' is not supported; use '..name'");
      this.position++;
      return new Segment(Step.Wildcard, "", 0);
    }
    const start = this.position;
    if (!isNameStart(c)) return this.failSegment("expected a name after '.'");
    while (this.position < text.length && isNamePart(text.charCodeAt(this.position))) this.position++;
    return new Segment(descendant ? Step.Descendant : Step.Member, text.substring(start, this.position), 0);
  }

  /** `[...]` at the current position; a quoted name gives a `step` segment. */
  bracket(step: Step): Segment | null {
    const text = this.text;
    this.position++;
    if (this.position >= text.length) return this.failSegment("unterminated '['");
    const c = text.charCodeAt(this.position);
    let segment: Segment | null = null;
    if (c == 0x22 || c == 0x27) {
      const name = this.quoted(c);
      if (name === null) return null;
      segment = new Segment(step, name, 0);
    } else if (step == Step.Descendant) {
      return this.failSegment("expected a quoted name after '..['");
    } else if (c == 0x2a) {
      this.position++;
      segment = new Segment(Step.Wildcard, "", 0);
    } else if (c >= 0x30 && c <= 0x39) {
      const start = this.position;
      while (this.position < text.length && isDigit(text.charCodeAt(this.position))) this.position++;
      const digits = text.substring(start, this.position);
      if (digits.length > 9 || (digits.length > 1 && digits.charCodeAt(0) == 0x30)) {
        this.position = start;
        return this.failSegment("invalid index");
      }
      segment = new Segment(Step.Index, "", I32.parseInt(digits));
    } else {
      return this.failSegment("expected a quoted name, an index or '*' after '['");
    }
    if (this.position >= text.length || text.charCodeAt(this.position) != 0x5d) return this.failSegment("expected ']'");
    this.position++;
    return segment;
  }

  quoted(quote: i32): string | null {
    const text = this.text;
    this.position++;
    const parts = new Array<string>();
    let start = this.position;
    while (this.position < text.length) {
      const c = text.charCodeAt(this.position);
      if (c == quote) {
        parts.push(text.substring(start, this.position));
        this.position++;
        return parts.join("");
      }
      if (c == 0x5c) {
        const next = this.position + 1 < text.length ? text.charCodeAt(this.position + 1) : 0;
        if (next != 0x22 && next != 0x27 && next != 0x5c) {
          this.failSegment("invalid escape (only \\\", \\' and \\\\)");
          return null;
        }
        parts.push(text.substring(start, this.position));
        parts.push(String.fromCharCode(next));
        this.position += 2;
        start = this.position;
        continue;
      }
      this.position++;
    }
    this.failSegment("unterminated quoted name");
    return null;
  }

  failSegment(message: string): Segment | null {
    this.fail(message);
    return null;
  }
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function isNameStart(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x24 || c >= 0x80;
}

function isNamePart(c: i32): bool {
  return isNameStart(c) || isDigit(c) || c == 0x2d;
}
