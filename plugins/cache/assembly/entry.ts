// What the cache keeps in the kv store. A value is a 4-byte little-endian length, that many bytes of JSON
// metadata, then the body. Under a request's primary key it is either a stored response, or, when the
// response named fields in `Vary`, a record of those names; the responses then live under variant keys.
import { Header, Headers, JsonValue } from "@portcullis/sdk";

/** Response fields never stored: per hop, per request, or recomputed when a hit is served. */
const NOT_STORED = [
  "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
  "content-length", "x-request-id", "age", "cache-status", "set-cookie",
];

export class StoredResponse {
  constructor(
    public status: i32,
    public headers: Array<Header>,
    public body: Uint8Array,
    /** When the response was stored (ms since the epoch). */
    public storedAtMs: u64,
    /** Freshness lifetime from storedAtMs, in ms. */
    public lifetimeMs: u64,
    /** The `Age` the upstream gave the response, in seconds. */
    public initialAge: i64,
  ) {}

  static fromResponse(status: i32, headers: Headers, body: Uint8Array, nowMs: u64, lifetimeMs: u64, initialAge: i64): StoredResponse {
    const kept = new Array<Header>();
    for (let i = 0; i < headers.size; i++) {
      const name = headers.nameAt(i).toLowerCase();
      if (!NOT_STORED.includes(name)) kept.push(new Header(name, headers.valueAt(i)));
    }
    return new StoredResponse(status, kept, body, nowMs, lifetimeMs, initialAge);
  }

  encode(): Uint8Array {
    const list = JsonValue.array();
    for (let i = 0; i < this.headers.length; i++) {
      list.push(JsonValue.array().push(JsonValue.string(this.headers[i].name)).push(JsonValue.string(this.headers[i].value)));
    }
    const meta = JsonValue.object()
      .set("status", JsonValue.number(<f64>this.status))
      .set("storedAt", JsonValue.number(<f64>this.storedAtMs))
      .set("lifetime", JsonValue.number(<f64>this.lifetimeMs))
      .set("age", JsonValue.number(<f64>this.initialAge))
      .set("headers", list);
    return frame(meta, this.body);
  }

  /** The first value of a stored header, or null. */
  header(name: string): string | null {
    for (let i = 0; i < this.headers.length; i++) if (this.headers[i].name == name) return this.headers[i].value;
    return null;
  }

  /** Whether a stale copy can be revalidated (RFC 9111 section 4.3.1): it has a validator. */
  get hasValidator(): bool {
    return this.header("etag") !== null || this.header("last-modified") !== null;
  }

  /**
   * Freshens the stored headers with a 304's (RFC 9111 section 4.3.4): each field the 304 carries
   * replaces the stored one of that name; fields never stored stay out.
   */
  freshen(headers: Headers): void {
    const replaced = new Array<string>();
    for (let i = 0; i < headers.size; i++) {
      const name = headers.nameAt(i).toLowerCase();
      if (NOT_STORED.includes(name) || replaced.includes(name)) continue;
      replaced.push(name);
      const kept = new Array<Header>();
      for (let j = 0; j < this.headers.length; j++) if (this.headers[j].name != name) kept.push(this.headers[j]);
      const values = headers.getAll(name);
      for (let v = 0; v < values.length; v++) kept.push(new Header(name, values[v]));
      this.headers = kept;
    }
  }

  /** Seconds left before the response goes stale (0 when it is). */
  ttlSeconds(nowMs: u64): i64 {
    const end = this.storedAtMs + this.lifetimeMs;
    return end <= nowMs ? 0 : <i64>((end - nowMs) / 1000);
  }

  isFresh(nowMs: u64): bool {
    return this.storedAtMs + this.lifetimeMs > nowMs;
  }

  /** The `Age` to send: the upstream's age plus the time spent here. */
  ageSeconds(nowMs: u64): i64 {
    const resident = nowMs > this.storedAtMs ? <i64>((nowMs - this.storedAtMs) / 1000) : 0;
    return this.initialAge + resident;
  }
}

/** A value read back from the store: a response, a Vary record (the names of the varying fields), or junk. */
export class StoredValue {
  response: StoredResponse | null = null;
  varyNames: Array<string> | null = null;

  static decode(bytes: Uint8Array): StoredValue {
    const value = new StoredValue();
    if (bytes.length < 4) return value;
    // Each byte is widened before the shift: a u8 shifted stays a u8 in AssemblyScript (lengths > 255 were lost).
    const metaLength = <i32>(<u32>bytes[0] | (<u32>bytes[1] << 8) | (<u32>bytes[2] << 16) | (<u32>bytes[3] << 24));
    if (metaLength < 2 || metaLength > bytes.length - 4) return value;
    const meta = JsonValue.parse(String.UTF8.decode(bytes.slice(4, 4 + metaLength).buffer));
    if (meta === null || !meta.isObject) return value;
    const vary = meta.get("vary");
    if (vary !== null) {
      value.varyNames = strings(vary);
      return value;
    }
    const status = meta.get("status");
    const storedAt = meta.get("storedAt");
    const lifetime = meta.get("lifetime");
    const age = meta.get("age");
    const headers = meta.get("headers");
    if (status === null || storedAt === null || lifetime === null || age === null || headers === null || !headers.isArray) return value;
    const list = new Array<Header>();
    for (let i = 0; i < headers.length; i++) {
      const pair = strings(headers.at(i));
      if (pair.length != 2) return value;
      list.push(new Header(pair[0], pair[1]));
    }
    value.response = new StoredResponse(
      <i32>status.numberValue, list, bytes.slice(4 + metaLength), <u64>storedAt.numberValue, <u64>lifetime.numberValue, <i64>age.numberValue,
    );
    return value;
  }
}

export function encodeVaryRecord(names: Array<string>): Uint8Array {
  const list = JsonValue.array();
  for (let i = 0; i < names.length; i++) list.push(JsonValue.string(names[i]));
  return frame(JsonValue.object().set("vary", list), new Uint8Array(0));
}

function frame(meta: JsonValue, body: Uint8Array): Uint8Array {
  const metaBytes = Uint8Array.wrap(String.UTF8.encode(meta.toString()));
  const out = new Uint8Array(4 + metaBytes.length + body.length);
  const n = metaBytes.length;
  out[0] = <u8>(n & 0xff);
  out[1] = <u8>((n >> 8) & 0xff);
  out[2] = <u8>((n >> 16) & 0xff);
  out[3] = <u8>((n >> 24) & 0xff);
  out.set(metaBytes, 4);
  out.set(body, 4 + metaBytes.length);
  return out;
}

function strings(json: JsonValue): Array<string> {
  const out = new Array<string>();
  if (!json.isArray) return out;
  for (let i = 0; i < json.length; i++) if (json.at(i).isString) out.push(json.at(i).stringValue);
  return out;
}
