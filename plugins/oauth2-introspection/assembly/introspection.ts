// The introspection call (RFC 7662 section 2.1) and its cache. A result is kept in the shared kv store
// (every worker and, with Redis, every gateway sees it) under a SHA-256 of the endpoint, client and token,
// never the token itself: an active token for its remaining lifetime (`exp`) capped by `cache.maxSeconds`,
// an inactive one for `cache.inactiveSeconds`. The kv store's own limits bound the entries.
// The call is dispatched (Http.dispatch): the worker runs other requests until the endpoint answers.
import { Base64, Base64Url, Clock, Crypto, DispatchResult, FetchResult, formEncode, Header, Http, JsonValue, Kv, Utf8 } from "@portcullis/sdk";

export enum ClientAuth {
  Basic,
  Post,
}

/** What the endpoint said of a token: its claims (`active` among them), or null when it could not be asked. */
export class Answer {
  constructor(public readonly claims: JsonValue | null, public readonly problem: string) {}
}

export class Introspection {
  constructor(
    private readonly endpoint: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly auth: ClientAuth,
    private readonly tokenTypeHint: string,
    private readonly timeoutMs: u32,
    private readonly maxCacheMs: u64,
    private readonly inactiveCacheMs: u64,
  ) {}

  /** The cached claims of `token`, or null. */
  cached(token: string): JsonValue | null {
    const cached = Kv.get(this.cacheKey(token));
    const bytes = cached.ok;
    if (!cached.isOk || bytes === null) return null;
    const claims = JsonValue.parse(Utf8.decode(bytes));
    return claims !== null && claims.isObject ? claims : null;
  }

  /** Reads the endpoint's answer about `token` (see `ask`) and caches the claims it carries. */
  answer(token: string, response: FetchResult): Answer {
    const answer = this.read(response);
    const claims = answer.claims;
    if (claims !== null) {
      const ttl = this.cacheMs(claims);
      if (ttl > 0) Kv.set(this.cacheKey(token), Utf8.encode(claims.toString()), ttl);
    }
    return answer;
  }

  /** Queues the introspection request; its answer comes to the policy's onCallResult. */
  ask(token: string): DispatchResult {
    let form = "token=" + formEncode(token);
    if (this.tokenTypeHint != "") form += "&token_type_hint=" + formEncode(this.tokenTypeHint);
    const headers: Header[] = [
      new Header("content-type", "application/x-www-form-urlencoded"),
      new Header("accept", "application/json"),
    ];
    if (this.auth == ClientAuth.Basic) {
      // RFC 6749 section 2.3.1: both parts form-encoded before base64.
      const pair = formEncode(this.clientId) + ":" + formEncode(this.clientSecret);
      headers.push(new Header("authorization", "Basic " + Base64.encode(Utf8.encode(pair))));
    } else {
      form += "&client_id=" + formEncode(this.clientId) + "&client_secret=" + formEncode(this.clientSecret);
    }
    return Http.dispatch("POST", this.endpoint, headers, Utf8.encode(form), this.timeoutMs);
  }

  private read(response: FetchResult): Answer {
    const reply = response.ok;
    if (!response.isOk || reply === null) return new Answer(null, "the introspection endpoint cannot be reached");
    if (reply.status != 200) return new Answer(null, "the introspection endpoint answered " + reply.status.toString());
    const claims = JsonValue.parse(Utf8.decode(reply.body));
    if (claims === null || !claims.isObject) return new Answer(null, "the introspection answer is not a JSON object");
    const active = claims.get("active");
    if (active === null || !active.isBool) return new Answer(null, "the introspection answer has no boolean active");
    return new Answer(claims, "");
  }

  /** How long to keep `claims`: 0 for not at all. */
  private cacheMs(claims: JsonValue): u64 {
    if (!isActive(claims)) return this.inactiveCacheMs;
    const exp = claims.get("exp");
    if (exp === null || !exp.isNumber) return this.maxCacheMs;
    const expiresAtMs = <u64>(exp.numberValue * 1000);
    const now = Clock.nowMs();
    if (expiresAtMs <= now) return 0;
    const left = expiresAtMs - now;
    return left < this.maxCacheMs ? left : this.maxCacheMs;
  }

  private cacheKey(token: string): string {
    const digest = Crypto.sha256(Utf8.encode(this.endpoint + "\n" + this.clientId + "\n" + token));
    return "oauth2-introspection:" + Base64Url.encode(digest);
  }
}

export function isActive(claims: JsonValue): bool {
  const active = claims.get("active");
  return active !== null && active.isBool && active.boolValue;
}
