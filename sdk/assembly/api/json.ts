// JSON values for configuration, metadata and bodies: a real parser and a serializer
// that escapes properly (JSON is never assembled by string concatenation).
//
// Faithfulness: a parsed number keeps its source text and is written back as written
// (`1.10`, `12345678901234567890`, `1e400` survive a round trip) until its value is assigned.
// Strings are written with the minimal escapes (`\u00e9` comes back as `é`, `\/` as `/`), member
// order is kept, and a repeated key keeps its first position with the last value.

export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** A JSON document or value: parse, build, read and edit, serialised faithfully. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  private number: f64 = 0;
  /** Set by the parser only: the number as written in the text; "" once assigned or when built. */
  numberSource: string = "";
  stringValue: string = "";
  items: Array<JsonValue> = [];
  keys: Array<string> = [];

  static null(): JsonValue {
    return new JsonValue();
  }
  static bool(value: bool): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Bool;
    v.boolValue = value;
    return v;
  }
  static number(value: f64): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.number = value;
    return v;
  }

  get numberValue(): f64 { return this.number; }
  set numberValue(value: f64) {
    this.number = value;
    this.numberSource = "";
  }

  /** The number as it is serialized: its parsed source text when unchanged, else its shortest form. */
  get numberText(): string {
    return this.numberSource != "" ? this.numberSource : formatNumber(this.number);
  }
  static string(value: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.stringValue = value;
    return v;
  }
  static array(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    return v;
  }
  static object(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    return v;
  }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }

  /** Appends to an array; returns this for chaining. */
  push(item: JsonValue): JsonValue {
    this.items.push(item);
    return this;
  }

  /** Sets a member of an object (replacing one of the same key); returns this for chaining. */
  set(key: string, value: JsonValue): JsonValue {
    const index = this.keys.indexOf(key);
    if (index >= 0) {
      this.items[index] = value;
    } else {
      this.keys.push(key);
      this.items.push(value);
    }
    return this;
  }

  /** A member of an object, or null when absent (or when this is not an object). */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    const index = this.keys.indexOf(key);
    return index < 0 ? null : this.items[index];
  }

  has(key: string): bool {
    return this.kind == JsonKind.Object && this.keys.includes(key);
  }

  /** Removes a member of an object; false when there was none. */
  remove(key: string): bool {
    if (this.kind != JsonKind.Object) return false;
    const index = this.keys.indexOf(key);
    if (index < 0) return false;
    this.keys.splice(index, 1);
    this.items.splice(index, 1);
    return true;
  }

  /**
   * Renames a member of an object in place (its position is kept); a member already named `to` is
   * replaced. False when there is no member `from`.
   */
  rename(from: string, to: string): bool {
    if (this.kind != JsonKind.Object) return false;
    const index = this.keys.indexOf(from);
    if (index < 0) return false;
    if (from == to) return true;
    const clash = this.keys.indexOf(to);
    this.keys[index] = to;
    if (clash >= 0) {
      this.keys.splice(clash, 1);
      this.items.splice(clash, 1);
    }
    return true;
  }

  /** Replaces an item of an array; false when `index` is out of range. */
  setAt(index: i32, value: JsonValue): bool {
    if (this.kind != JsonKind.Array || index < 0 || index >= this.items.length) return false;
    this.items[index] = value;
    return true;
  }

  /** Removes an item of an array; false when `index` is out of range. */
  removeAt(index: i32): bool {
    if (this.kind != JsonKind.Array || index < 0 || index >= this.items.length) return false;
    this.items.splice(index, 1);
    return true;
  }

  get length(): i32 {
    return this.items.length;
  }

  at(index: i32): JsonValue {
    return this.items[index];
  }

  toString(): string {
    const out = new Array<string>();
    write(this, out);
    return out.join("");
  }

  /** Parses JSON text; on failure returns null and `JsonValue.lastError` says why. */
  static parse(text: string): JsonValue | null {
    const parser = new Parser(text);
    parser.skipSpace();
    const value = parser.value(0);
    parser.skipSpace();
    if (value !== null && parser.error == "" && parser.position < text.length) parser.fail("unexpected text after the value");
    lastError = parser.error;
    return parser.error == "" ? value : null;
  }

  static get lastError(): string {
    return lastError;
  }
}

let lastError = "";
const MAX_DEPTH = 128;

function write(value: JsonValue, out: Array<string>): void {
  switch (value.kind) {
    case JsonKind.Null: out.push("null"); break;
    case JsonKind.Bool: out.push(value.boolValue ? "true" : "false"); break;
    case JsonKind.Number: out.push(value.numberText); break;
    case JsonKind.String: writeString(value.stringValue, out); break;
    case JsonKind.Array: {
      out.push("[");
      for (let i = 0; i < value.items.length; i++) {
        if (i > 0) out.push(",");
        write(value.items[i], out);
      }
      out.push("]");
      break;
    }
    default: {
      out.push("{");
      for (let i = 0; i < value.keys.length; i++) {
        if (i > 0) out.push(",");
        writeString(value.keys[i], out);
        out.push(":");
        write(value.items[i], out);
      }
      out.push("}");
    }
  }
}

function formatNumber(n: f64): string {
  if (!isFinite(n)) return "null";
  if (n == Math.trunc(n) && Math.abs(n) < 9007199254740992) return (<i64>n).toString();
  return n.toString();
}

const HEX = "0123456789abcdef";

/** Writes `text` as a JSON string literal. */
export function writeString(text: string, out: Array<string>): void {
  out.push("\"");
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    if (i > start) out.push(text.substring(start, i));
    start = i + 1;
    if (c == 0x22) out.push("\\\"");
    else if (c == 0x5c) out.push("\\\\");
    else if (c == 0x0a) out.push("\\n");
    else if (c == 0x0d) out.push("\\r");
    else if (c == 0x09) out.push("\\t");
    else out.push("\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15));
  }
  if (start < text.length) out.push(text.substring(start));
  out.push("\"");
}

class Parser {
  position: i32 = 0;
  error: string = "";
  constructor(public text: string) {}

  fail(message: string): JsonValue | null {
    if (this.error == "") this.error = message + " at offset " + this.position.toString();
    return null;
  }

  skipSpace(): void {
    while (this.position < this.text.length) {
      const c = this.text.charCodeAt(this.position);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.position++;
    }
  }

  literal(word: string, value: JsonValue): JsonValue | null {
    if (this.text.substr(this.position, word.length) != word) return this.fail("invalid literal");
    this.position += word.length;
    return value;
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting too deep");
    if (this.position >= this.text.length) return this.fail("unexpected end of JSON");
    const c = this.text.charCodeAt(this.position);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      return s === null ? null : JsonValue.string(s);
    }
    if (c == 0x74) return this.literal("true", JsonValue.bool(true));
    if (c == 0x66) return this.literal("false", JsonValue.bool(false));
    if (c == 0x6e) return this.literal("null", JsonValue.null());
    return this.number();
  }

  number(): JsonValue | null {
    const start = this.position;
    const text = this.text;
    if (this.position < text.length && text.charCodeAt(this.position) == 0x2d) this.position++;
    const digits = this.position;
    while (this.position < text.length && isDigit(text.charCodeAt(this.position))) this.position++;
    if (this.position == digits) return this.fail("invalid value");
    if (this.position - digits > 1 && text.charCodeAt(digits) == 0x30) return this.fail("leading zero in number");
    if (this.position < text.length && text.charCodeAt(this.position) == 0x2e) {
      this.position++;
      const fraction = this.position;
      while (this.position < text.length && isDigit(text.charCodeAt(this.position))) this.position++;
      if (this.position == fraction) return this.fail("invalid number");
    }
    if (this.position < text.length && (text.charCodeAt(this.position) | 0x20) == 0x65) {
      this.position++;
      const sign = this.position < text.length ? text.charCodeAt(this.position) : 0;
      if (sign == 0x2b || sign == 0x2d) this.position++;
      const exponent = this.position;
      while (this.position < text.length && isDigit(text.charCodeAt(this.position))) this.position++;
      if (this.position == exponent) return this.fail("invalid number");
    }
    const source = text.substring(start, this.position);
    const result = JsonValue.number(parseFloat(source));
    result.numberSource = source;
    return result;
  }

  string(): string | null {
    this.position++;
    const text = this.text;
    const parts = new Array<string>();
    let start = this.position;
    while (this.position < text.length) {
      const c = text.charCodeAt(this.position);
      if (c == 0x22) {
        parts.push(text.substring(start, this.position));
        this.position++;
        return parts.join("");
      }
      if (c < 0x20) {
        this.fail("control character in string");
        return null;
      }
      if (c == 0x5c) {
        parts.push(text.substring(start, this.position));
        const escaped = this.escape();
        if (escaped === null) return null;
        parts.push(escaped);
        start = this.position;
        continue;
      }
      this.position++;
    }
    this.fail("unterminated string");
    return null;
  }

  escape(): string | null {
    const text = this.text;
    if (this.position + 1 >= text.length) {
      this.fail("unterminated escape");
      return null;
    }
    const c = text.charCodeAt(this.position + 1);
    this.position += 2;
    if (c == 0x22) return "\"";
    if (c == 0x5c) return "\\";
    if (c == 0x2f) return "/";
    if (c == 0x62) return "\b";
    if (c == 0x66) return "\f";
    if (c == 0x6e) return "\n";
    if (c == 0x72) return "\r";
    if (c == 0x74) return "\t";
    if (c == 0x75 && this.position + 4 <= text.length) {
      let code = 0;
      for (let i = 0; i < 4; i++) {
        const h = hexValue(text.charCodeAt(this.position + i));
        if (h < 0) {
          this.fail("invalid unicode escape");
          return null;
        }
        code = (code << 4) | h;
      }
      this.position += 4;
      return String.fromCharCode(code);
    }
    this.fail("invalid escape");
    return null;
  }

  array(depth: i32): JsonValue | null {
    this.position++;
    const result = JsonValue.array();
    this.skipSpace();
    if (this.position < this.text.length && this.text.charCodeAt(this.position) == 0x5d) {
      this.position++;
      return result;
    }
    while (true) {
      this.skipSpace();
      const item = this.value(depth + 1);
      if (item === null) return null;
      result.push(item);
      this.skipSpace();
      if (this.position >= this.text.length) return this.fail("unterminated array");
      const c = this.text.charCodeAt(this.position++);
      if (c == 0x5d) return result;
      if (c != 0x2c) return this.fail("expected ',' or ']'");
    }
  }

  object(depth: i32): JsonValue | null {
    this.position++;
    const result = JsonValue.object();
    this.skipSpace();
    if (this.position < this.text.length && this.text.charCodeAt(this.position) == 0x7d) {
      this.position++;
      return result;
    }
    while (true) {
      this.skipSpace();
      if (this.position >= this.text.length || this.text.charCodeAt(this.position) != 0x22) return this.fail("expected a key");
      const key = this.string();
      if (key === null) return null;
      this.skipSpace();
      if (this.position >= this.text.length || this.text.charCodeAt(this.position) != 0x3a) return this.fail("expected ':'");
      this.position++;
      this.skipSpace();
      const item = this.value(depth + 1);
      if (item === null) return null;
      result.set(key, item);
      this.skipSpace();
      if (this.position >= this.text.length) return this.fail("unterminated object");
      const c = this.text.charCodeAt(this.position++);
      if (c == 0x7d) return result;
      if (c != 0x2c) return this.fail("expected ',' or '}'");
    }
  }
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Whether a `content-type` value names JSON: `application/json` or any `+json` type, parameters ignored. */
export function isJsonContentType(contentType: string): bool {
  const semicolon = contentType.indexOf(";");
  const type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase();
  return type == "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}
