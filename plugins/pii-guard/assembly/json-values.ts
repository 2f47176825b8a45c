// Finds the string and number values of a JSON document with their JSON Pointers and their places in the
// text, so values can be scanned decoded and masked in place without re-serialising the rest (numbers,
// spacing and key order stay exactly as the client sent them). Object keys are not values.

import { Scanner } from "./scanner";

const MAX_DEPTH = 128;
const MIN_CARD_NUMBER_LENGTH = 13;

/**
 * A container's place in the document (the root's has no parent), for JSON Pointers of findings. Keys are
 * kept as where they sit in the text (`keyAt`, the opening quote; -1 for an array item) and decoded only
 * for a pointer: most documents have no finding, and a string per key was most of the walk's cost.
 */
export class JsonPath {
  constructor(public readonly parent: JsonPath | null, public readonly keyAt: i32, public readonly index: i32) {}

  toPointer(text: string): string {
    const segments = new Array<string>();
    let node: JsonPath | null = this;
    while (node !== null && node.parent !== null) {
      segments.unshift(segment(text, node.keyAt, node.index));
      node = node.parent;
    }
    return segments.length == 0 ? "" : "/" + segments.join("/");
  }
}

function segment(text: string, keyAt: i32, index: i32): string {
  if (keyAt < 0) return index.toString();
  const walker = new Walker(text);
  walker.position = keyAt;
  return walker.string()!.replaceAll("~", "~0").replaceAll("/", "~1");
}

export class JsonValueToken {
  constructor(
    /** Where the token sits in the text: [start, end). */
    public readonly start: i32,
    public readonly end: i32,
    /** The container holding it (null for a document that is a lone value), and its key (see JsonPath) or index there. */
    public readonly parent: JsonPath | null,
    public readonly keyAt: i32,
    public readonly index: i32,
    /** The decoded string, or the number's text. */
    public readonly value: string,
    public readonly isNumber: bool,
  ) {}

  /** The value's JSON Pointer, built only when something is found there. */
  pointer(text: string): string {
    const parent = this.parent;
    return parent === null ? "" : parent.toPointer(text) + "/" + segment(text, this.keyAt, this.index);
  }
}

/**
 * The value tokens of `text` that may hold a finding of `scanner` (see Scanner.mayHold), or null when it is
 * not valid JSON (or nests deeper than 128).
 */
export function jsonValueTokens(text: string, scanner: Scanner): Array<JsonValueToken> | null {
  const walker = new Walker(text, scanner);
  walker.space();
  if (!walker.value(null, -1, 0, 0)) return null;
  walker.space();
  return walker.position == text.length ? walker.tokens : null;
}

class Walker {
  position: i32 = 0;
  tokens: Array<JsonValueToken> = [];
  constructor(public readonly text: string, public readonly scanner: Scanner | null = null) {}

  // The loops over characters work on locals and write the position back once: this walk sees every
  // byte of the body, and a field store per character was a good part of its cost.
  space(): void {
    const text = this.text;
    let position = this.position;
    while (position < text.length) {
      const c = text.charCodeAt(position);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      position++;
    }
    this.position = position;
  }

  /** The value at the position, member `keyAt` (or item `index`) of `parent`. */
  value(parent: JsonPath | null, keyAt: i32, index: i32, depth: i32): bool {
    if (depth > MAX_DEPTH || this.position >= this.text.length) return false;
    const c = this.text.charCodeAt(this.position);
    if (c == 0x7b) return this.object(new JsonPath(parent, keyAt, index), depth);
    if (c == 0x5b) return this.array(new JsonPath(parent, keyAt, index), depth);
    if (c == 0x22) {
      const start = this.position;
      const end = plainEnd(this.text, start + 1);
      // A value without escapes that cannot hold a finding is stepped over without a copy or a token.
      if (end < this.text.length && this.text.charCodeAt(end) == 0x22 && !this.scanner!.mayHold(this.text, start + 1, end)) {
        this.position = end + 1;
        return true;
      }
      const decoded = this.string();
      if (decoded === null) return false;
      if (decoded.length > 0) this.tokens.push(new JsonValueToken(start, this.position, parent, keyAt, index, decoded, false));
      return true;
    }
    if (c == 0x74) return this.literal("true");
    if (c == 0x66) return this.literal("false");
    if (c == 0x6e) return this.literal("null");
    return this.number(parent, keyAt, index);
  }

  object(path: JsonPath, depth: i32): bool {
    this.position++;
    this.space();
    if (this.peek() == 0x7d) {
      this.position++;
      return true;
    }
    while (true) {
      this.space();
      const keyAt = this.position;
      if (this.peek() != 0x22 || !this.skipString()) return false;
      this.space();
      if (this.peek() != 0x3a) return false;
      this.position++;
      this.space();
      if (!this.value(path, keyAt, 0, depth + 1)) return false;
      this.space();
      const c = this.peek();
      this.position++;
      if (c == 0x7d) return true;
      if (c != 0x2c) return false;
    }
  }

  array(path: JsonPath, depth: i32): bool {
    this.position++;
    this.space();
    if (this.peek() == 0x5d) {
      this.position++;
      return true;
    }
    let index = 0;
    while (true) {
      this.space();
      if (!this.value(path, -1, index++, depth + 1)) return false;
      this.space();
      const c = this.peek();
      this.position++;
      if (c == 0x5d) return true;
      if (c != 0x2c) return false;
    }
  }

  /** Decodes the string at the position (on its opening quote) and moves past it; null when malformed. */
  string(): string | null {
    const text = this.text;
    let start = ++this.position;
    this.position = plainEnd(text, start);
    if (this.position < text.length && text.charCodeAt(this.position) == 0x22) return text.substring(start, this.position++);
    const parts = new Array<string>();
    while (this.position < text.length) {
      const c = text.charCodeAt(this.position);
      if (c == 0x22) {
        parts.push(text.substring(start, this.position++));
        return parts.join("");
      }
      if (c < 0x20) return null;
      if (c == 0x5c) {
        parts.push(text.substring(start, this.position));
        const escaped = this.escape();
        if (escaped === null) return null;
        parts.push(escaped);
        start = this.position;
      } else this.position++;
    }
    return null;
  }

  /** Moves past the string at the position (on its opening quote) without decoding it; false when malformed. */
  skipString(): bool {
    const text = this.text;
    this.position = plainEnd(text, this.position + 1);
    while (this.position < text.length) {
      const c = text.charCodeAt(this.position);
      if (c == 0x22) {
        this.position++;
        return true;
      }
      if (c < 0x20) return false;
      if (c == 0x5c) {
        if (this.escape() === null) return false;
      } else this.position++;
    }
    return false;
  }

  escape(): string | null {
    const text = this.text;
    const c = this.position + 1 < text.length ? text.charCodeAt(this.position + 1) : 0;
    this.position += 2;
    if (c == 0x75) {
      if (this.position + 4 > text.length || !isHex4(text, this.position)) return null;
      const code = I32.parseInt(text.substr(this.position, 4), 16);
      this.position += 4;
      return String.fromCharCode(code);
    }
    const index = "\"\\/bfnrt".indexOf(String.fromCharCode(c));
    if (c == 0 || index < 0) return null;
    return "\"\\/\b\f\n\r\t".charAt(index);
  }

  number(parent: JsonPath | null, keyAt: i32, index: i32): bool {
    const text = this.text;
    const start = this.position;
    let end = start;
    while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
    if (end == start) return false;
    this.position = end;
    // Only a card number is looked for in numbers, and none is shorter than 13 digits: skip the rest.
    if (this.position - start >= MIN_CARD_NUMBER_LENGTH) {
      this.tokens.push(new JsonValueToken(start, this.position, parent, keyAt, index, this.text.substring(start, this.position), true));
    }
    return true;
  }

  literal(word: string): bool {
    if (this.text.substr(this.position, word.length) != word) return false;
    this.position += word.length;
    return true;
  }

  peek(): i32 {
    return this.position < this.text.length ? this.text.charCodeAt(this.position) : -1;
  }
}

/** Where the run of plain string characters from `from` ends: at a quote, a backslash, a control character or the end. */
function plainEnd(text: string, from: i32): i32 {
  let position = from;
  while (position < text.length) {
    const c = text.charCodeAt(position);
    if (c == 0x22 || c == 0x5c || c < 0x20) break;
    position++;
  }
  return position;
}

function isHex4(text: string, at: i32): bool {
  for (let i = at; i < at + 4; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Digits, sign, decimal point and exponent: the scanner only needs the token's extent. */
function isNumberChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x65 || c == 0x45;
}
