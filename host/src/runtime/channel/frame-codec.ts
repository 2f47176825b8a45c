/**
 * The channel's compact binary encoding of the values that cross it (tasks: heads, metadata,
 * bodies; answers: edits, call records): a tag byte per value, little-endian lengths, ASCII
 * strings as their bytes and any other string as UTF-16 code units (so header values with bytes
 * 0x80-0xff and lone surrogates come back exactly). Cheaper than a structured clone for these
 * small trees, and writable into shared memory (see FrameRing).
 */
enum Tag {
  Undefined,
  Null,
  False,
  True,
  Int,
  Float,
  Ascii,
  Utf16,
  Array,
  Object,
  Bytes,
  /** A property name from KEYS, by its index (one byte instead of the name). */
  Key,
}

/** Property names of tasks and answers, sent as one byte each; any other name is sent as a string. */
const KEYS = [
  "outcome",
  "head",
  "body",
  "route",
  "metadata",
  "calls",
  "skipped",
  "instance",
  "failure",
  "timing",
  "name",
  "value",
  "params",
  "response",
  "policy",
  "status",
  "headers",
  "kind",
  "code",
  "message",
  "allow",
  "method",
  "scheme",
  "authority",
  "path",
  "query",
  "clientAddress",
  "requestId",
  "listener",
  "retryAfterSeconds",
  "at",
  "ms",
  "decision",
  "detail",
  "op",
];
const KEY_INDEX = new Map(KEYS.map((key, index) => [key, index]));

/** Encodes values into a growing scratch buffer, reused frame after frame. */
export class FrameWriter {
  #buf = Buffer.allocUnsafeSlow(4096);
  #view = new DataView(this.#buf.buffer);
  length = 0;

  /** The bytes written since the last reset (a view: valid until the next write). */
  get bytes(): Buffer {
    return this.#buf.subarray(0, this.length);
  }

  reset(): this {
    this.length = 0;
    return this;
  }

  write(value: unknown): this {
    switch (typeof value) {
      case "undefined":
        return this.#tag(Tag.Undefined);
      case "boolean":
        return this.#tag(value ? Tag.True : Tag.False);
      case "number":
        if ((value | 0) === value && !Object.is(value, -0)) {
          this.#tag(Tag.Int).#view.setInt32(this.length, value, true);
          this.length += 4;
        } else {
          this.#tag(Tag.Float).#view.setFloat64(this.length, value, true);
          this.length += 8;
        }
        return this;
      case "string":
        return this.#string(value);
      case "object":
        if (value === null) return this.#tag(Tag.Null);
        if (Array.isArray(value)) {
          this.#tag(Tag.Array).#u32(value.length);
          for (const item of value) this.write(item);
          return this;
        }
        if (value instanceof Uint8Array) {
          this.#tag(Tag.Bytes).#u32(value.byteLength).#room(value.byteLength);
          this.#buf.set(value, this.length);
          this.length += value.byteLength;
          return this;
        }
        return this.#object(value as Record<string, unknown>);
      default:
        throw new TypeError(`the policy channel cannot carry a ${typeof value}`);
    }
  }

  #object(value: Record<string, unknown>): this {
    const keys = Object.keys(value);
    this.#tag(Tag.Object).#u32(keys.length);
    for (const key of keys) {
      const index = KEY_INDEX.get(key);
      if (index === undefined) this.#string(key);
      else this.#tag(Tag.Key).#buf[this.length++] = index; // #tag left room for it
      this.write(value[key]);
    }
    return this;
  }

  #string(value: string): this {
    if (Buffer.byteLength(value, "utf8") === value.length) {
      this.#tag(Tag.Ascii).#u32(value.length).#room(value.length);
      this.length += this.#buf.write(value, this.length, "latin1");
    } else {
      this.#tag(Tag.Utf16)
        .#u32(value.length)
        .#room(value.length * 2);
      this.length += this.#buf.write(value, this.length, "utf16le");
    }
    return this;
  }

  /** Writes a tag byte, with room for one more byte after it. */
  #tag(tag: Tag): this {
    this.#room(2);
    this.#buf[this.length++] = tag;
    return this;
  }

  #u32(n: number): this {
    this.#room(4).#view.setUint32(this.length, n, true);
    this.length += 4;
    return this;
  }

  #room(n: number): this {
    if (this.length + n <= this.#buf.length) return this;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#buf.length * 2, this.length + n));
    this.#buf.copy(grown, 0, 0, this.length);
    this.#buf = grown;
    this.#view = new DataView(grown.buffer);
    return this;
  }
}

/**
 * Decodes values from `bytes`. With `copyBytes` false, decoded Uint8Arrays are views of `bytes`
 * (for a buffer the reader owns, such as one transferred to it); with true they are copies (for
 * shared memory that will be overwritten).
 */
export class FrameReader {
  readonly #buf: Buffer;
  readonly #view: DataView;
  #pos: number;

  constructor(
    bytes: Uint8Array,
    private readonly copyBytes: boolean,
  ) {
    this.#buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = 0;
  }

  get done(): boolean {
    return this.#pos >= this.#buf.length;
  }

  read(): unknown {
    const tag = this.#buf[this.#pos++] as Tag;
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Int:
        return this.#advance(4, this.#view.getInt32(this.#pos, true));
      case Tag.Float:
        return this.#advance(8, this.#view.getFloat64(this.#pos, true));
      case Tag.Ascii: {
        const n = this.#u32();
        return this.#advance(n, this.#buf.toString("latin1", this.#pos, this.#pos + n));
      }
      case Tag.Utf16: {
        const n = this.#u32() * 2;
        return this.#advance(n, this.#buf.toString("utf16le", this.#pos, this.#pos + n));
      }
      case Tag.Array: {
        const items = new Array<unknown>(this.#u32());
        for (let i = 0; i < items.length; i++) items[i] = this.read();
        return items;
      }
      case Tag.Object: {
        const object: Record<string, unknown> = {};
        for (let n = this.#u32(); n > 0; n--) {
          const key = this.#buf[this.#pos] === Tag.Key ? KEYS[this.#buf[(this.#pos += 2) - 1]!]! : (this.read() as string);
          // A "__proto__" key must stay a property, not replace the prototype.
          if (key === "__proto__") Object.defineProperty(object, key, { value: this.read(), enumerable: true, writable: true, configurable: true });
          else object[key] = this.read();
        }
        return object;
      }
      case Tag.Bytes: {
        const n = this.#u32();
        const view = this.#buf.subarray(this.#pos, this.#pos + n);
        return this.#advance(n, this.copyBytes ? new Uint8Array(view) : new Uint8Array(view.buffer, view.byteOffset, n));
      }
      default:
        throw new Error(`policy channel frame: unknown tag ${tag} at byte ${this.#pos - 1}`);
    }
  }

  #u32(): number {
    return this.#advance(4, this.#view.getUint32(this.#pos, true));
  }

  #advance<T>(n: number, value: T): T {
    if (this.#pos + n > this.#buf.length) throw new Error("policy channel frame: truncated");
    this.#pos += n;
    return value;
  }
}
