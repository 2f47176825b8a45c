// Finds the string and number values of a JSON document with their JSON Pointers and their places in the
// text, so values can be scanned decoded and masked in place without re-serialising the rest (numbers,
// spacing and key order stay exactly as the client sent them). Object keys are not values.

const MAX_DEPTH = 128;
const MIN_CARD_NUMBER_LENGTH = 13;

/** A container's place in the document (the root's has no parent), for JSON Pointers of findings. */
export class JsonPath {
  constructor(public readonly parent: JsonPath | null, public readonly key: string | null, public readonly index: i32) {}

  toPointer(): string {
    const segments = new Array<string>();
    let node: JsonPath | null = this;
    while (node !== null && node.parent !== null) {
      segments.unshift(segment(node.key, node.index));
      node = node.parent;
    }
    return segments.length == 0 ? "" : "/" + segments.join("/");
  }
}

function segment(key: string | null, index: i32): string {
  return key !== null ? key.replaceAll("~", "~0").replaceAll("/", "~1") : index.toString();
}

export class JsonValueToken {
  constructor(
    /** Where the token sits in the text: [start, end). */
    public readonly start: i32,
    public readonly end: i32,
    /** The container holding it (null for a document that is a lone value), and its key or index there. */
    public readonly parent: JsonPath | null,
    public readonly key: string | null,
    public readonly index: i32,
    /** The decoded string, or the number's text. */
    public readonly value: string,
    public readonly isNumber: bool,
  ) {}

  /** The value's JSON Pointer, built only when something is found there. */
  pointer(): string {
    const parent = this.parent;
    return parent === null ? "" : parent.toPointer() + "/" + segment(this.key, this.index);
  }
}

/** The value tokens of `text`, or null when it is not valid JSON (or nests deeper than 128). */
export function jsonValueTokens(text: string): Array<JsonValueToken> | null {
  const walker = new Walker(text);
  walker.space();
  if (!walker.value(null, null, 0, 0)) return null;
  walker.space();
  return walker.position == text.length ? walker.tokens : null;
}

class Walker {
  position: i32 = 0;
  tokens: Array<JsonValueToken> = [];
  constructor(public readonly text: string) {}

  space(): void {
    while (this.position < this.text.length) {
      const c = this.text.charCodeAt(this.position);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return;
      this.position++;
    }
  }

  /** The value at the position, member `key` (or item `index`) of `parent`. */
  value(parent: JsonPath | null, key: string | null, index: i32, depth: i32): bool {
    if (depth > MAX_DEPTH || this.position >= this.text.length) return false;
    const c = this.text.charCodeAt(this.position);
    if (c == 0x7b) return this.object(new JsonPath(parent, key, index), depth);
    if (c == 0x5b) return this.array(new JsonPath(parent, key, index), depth);
    if (c == 0x22) {
      const start = this.position;
      const decoded = this.string();
      if (decoded === null) return false;
      this.tokens.push(new JsonValueToken(start, this.position, parent, key, index, decoded, false));
      return true;
    }
    if (c == 0x74) return this.literal("true");
    if (c == 0x66) return this.literal("false");
    if (c == 0x6e) return this.literal("null");
    return this.number(parent, key, index);
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
      if (this.peek() != 0x22) return false;
      const key = this.string();
      if (key === null) return false;
      this.space();
      if (this.peek() != 0x3a) return false;
      this.position++;
      this.space();
      if (!this.value(path, key, 0, depth + 1)) return false;
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
      if (!this.value(path, null, index++, depth + 1)) return false;
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
    while (this.position < text.length) {
      const c = text.charCodeAt(this.position);
      if (c == 0x22) return text.substring(start, this.position++);
      if (c == 0x5c) break;
      if (c < 0x20) return null;
      this.position++;
    }
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

  number(parent: JsonPath | null, key: string | null, index: i32): bool {
    const start = this.position;
    while (this.position < this.text.length && isNumberChar(this.text.charCodeAt(this.position))) this.position++;
    if (this.position == start) return false;
    // Only a card number is looked for in numbers, and none is shorter than 13 digits: skip the rest.
    if (this.position - start >= MIN_CARD_NUMBER_LENGTH) {
      this.tokens.push(new JsonValueToken(start, this.position, parent, key, index, this.text.substring(start, this.position), true));
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
