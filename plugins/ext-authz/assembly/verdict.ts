// What the authorization service decided, kept in the shared kv store under the configured CEL key.
import { Base64, Base64Url, Crypto, Expression, Header, JsonValue, Kv, Utf8 } from "@portcullis/sdk";

/** Allowed (with the headers to add upstream) or denied (with the answer for the client). */
export class Verdict {
  constructor(
    public readonly allow: bool,
    public readonly status: i32,
    public readonly headers: Header[],
    public readonly body: Uint8Array,
  ) {}

  toJson(): JsonValue {
    const headers = JsonValue.array();
    for (let i = 0; i < this.headers.length; i++) {
      headers.push(JsonValue.array().push(JsonValue.string(this.headers[i].name)).push(JsonValue.string(this.headers[i].value)));
    }
    return JsonValue.object()
      .set("allow", JsonValue.bool(this.allow))
      .set("status", JsonValue.number(<f64>this.status))
      .set("headers", headers)
      .set("body", JsonValue.string(Base64.encode(this.body)));
  }

  static fromJson(json: JsonValue): Verdict | null {
    const allow = json.get("allow");
    const status = json.get("status");
    const list = json.get("headers");
    const body = json.get("body");
    if (allow === null || !allow.isBool || status === null || !status.isNumber || list === null || !list.isArray) return null;
    if (body === null || !body.isString) return null;
    const bytes = Base64.decode(body.stringValue);
    if (bytes === null) return null;
    const headers = new Array<Header>();
    for (let i = 0; i < list.length; i++) {
      const pair = list.at(i);
      if (!pair.isArray || pair.length != 2) return null;
      headers.push(new Header(pair.at(0).stringValue, pair.at(1).stringValue));
    }
    return new Verdict(allow.boolValue, <i32>status.numberValue, headers, bytes);
  }
}

/** Decisions by the value of a CEL expression over the request (`cache.key`). */
export class VerdictCache {
  constructor(private readonly expression: u32, private readonly ttlMs: u64, private readonly scope: string) {}

  /** The kv key of this request's decision, or null when the expression gives null or fails (nothing cached). */
  keyOf(): string | null {
    const value = Expression.evaluate(this.expression);
    if (!value.isOk || value.ok! == "null") return null;
    return "ext-authz:" + Base64Url.encode(Crypto.sha256(Utf8.encode(this.scope + "\n" + value.ok!)));
  }

  get(key: string): Verdict | null {
    const read = Kv.get(key);
    const bytes = read.ok;
    if (!read.isOk || bytes === null) return null;
    const json = JsonValue.parse(Utf8.decode(bytes));
    return json === null ? null : Verdict.fromJson(json);
  }

  put(key: string, verdict: Verdict): void {
    Kv.set(key, Utf8.encode(verdict.toJson().toString()), this.ttlMs);
  }
}
