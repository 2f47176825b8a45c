// cache: answers GET (and HEAD) requests from responses kept in the host's shared kv store (memory or
// Redis), following RFC 9111 for a shared cache, with `Age` and `Cache-Status` (RFC 9211). The request
// flow looks up and answers hits; it leaves its verdict in metadata `cache` for the response flow, which
// stores what may be stored. A store error never fails a request: the cache is bypassed.
import {
  BodyNeed, Clock, Config, Decision, Expression, Flow, Headers, JsonValue, Kv, Policy, register, Request, Response,
} from "@portcullis/sdk";
import { CacheControl } from "./cache-control";
import { Freshness } from "./freshness";
import { encodeVaryRecord, StoredResponse, StoredValue } from "./entry";
import { primaryKey, variantKey, varyNames } from "./keys";
import { CONFIG_SCHEMA } from "./schema";

/** Metadata key of the request flow's verdict (documented in the README). */
const METADATA_KEY = "cache";
/** Never stored: a partial response (ranges are not supported) and a validation answer. */
const NEVER_STORED: Array<i32> = [206, 304];

class Cache extends Policy {
  ttlSeconds: i64 = 60;
  keepStaleSeconds: i64 = 600;
  methods: Array<string> = [];
  statuses: Array<i32> = [];
  keyParts: Array<u32> = [];
  storePrivate: bool = false;
  allowAuthorized: bool = false;
  maxEntryBytes: i32 = 524_288;
  scope: string = "";
  cacheName: string = "portcullis";

  constructor() {
    super("cache", "1.0.0");
    this.flows = [Flow.Request, Flow.Response];
    this.needsResponseBody = true;
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    this.ttlSeconds = config.optionalInteger("ttlSeconds", 60, 1, 31_536_000);
    this.keepStaleSeconds = config.optionalInteger("keepStaleSeconds", 600, 0, 31_536_000);
    this.methods = config.has("methods") ? config.optionalStringList("methods") : ["GET", "HEAD"];
    this.statuses = config.has("statuses") ? integers(config, "statuses") : []; // [] = any status
    this.storePrivate = config.optionalBool("private", false);
    this.allowAuthorized = config.optionalBool("authorized", false);
    this.maxEntryBytes = <i32>config.optionalInteger("maxEntryBytes", 524_288, 1024, 1_000_000);
    this.scope = config.optionalString("scope", "");
    this.cacheName = config.optionalString("name", "portcullis");
    // A response larger than the gateway buffers streams through uncached instead of failing.
    this.responseBody = BodyNeed.WholeIfFits;
    const sources = config.optionalStringList("key");
    if (!config.ok) return;
    if (this.methods.includes("HEAD") && !this.methods.includes("GET")) config.invalid("methods", "HEAD is answered from GET entries: list GET too");
    if ((this.storePrivate || this.allowAuthorized) && sources.length == 0) {
      config.invalid(this.storePrivate ? "private" : "authorized", "needs `key` parts that identify the consumer (e.g. metadata.consumer)");
    }
    this.keyParts = [];
    for (let i = 0; i < sources.length && config.ok; i++) {
      const compiled = Expression.compile(sources[i]);
      if (compiled.isOk) this.keyParts.push(compiled.ok);
      else config.invalidAt("key/" + i.toString(), compiled.err!.invalidValue!);
    }
  }

  onRequest(request: Request): Decision {
    const method = request.method;
    const cached = this.methods.includes(method);
    if (!cached && (method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE")) return forward("method", "", false, "");
    const authorized = request.headers.has("authorization");
    if (cached && authorized && !this.allowAuthorized) return forward("bypass", "", false, "authorization");
    const parts = this.keyValues();
    if (parts === null) return forward(cached ? "bypass" : "method", "", false, cached ? "key" : "");
    const scope = this.scope != "" ? this.scope : request.listener + "/" + request.route;
    const key = primaryKey(scope, "GET", request.path, request.query, parts); // HEAD is answered from GET's entry
    if (!cached) return Decision.next().setMetadata(METADATA_KEY, invalidation(key));
    const control = CacheControl.of(request.headers);
    const store = request.method == "GET" && !control.noStore;
    if (control.noCache) return forward("request", key, store, "", authorized);

    const found = Kv.get(key);
    if (!found.isOk) return forward("bypass", "", false, "store-unavailable");
    if (found.ok === null) return forward("uri-miss", key, store, "", authorized);
    let value = StoredValue.decode(found.ok!);
    const names = value.varyNames;
    let target = key;
    if (names !== null) {
      target = variantKey(key, names, request.headers);
      const variant = Kv.get(target);
      if (!variant.isOk) return forward("bypass", "", false, "store-unavailable");
      if (variant.ok === null) return forward("vary-miss", key, store, "", authorized);
      value = StoredValue.decode(variant.ok!);
    }
    const stored = value.response;
    const now = Clock.nowMs();
    if (stored === null) return forward("uri-miss", key, store, "", authorized);
    if (!stored.isFresh(now)) return revalidate(stored, request.headers, key, target, store, authorized);
    return this.hit(stored, now);
  }

  onResponse(response: Response): Decision {
    const decision = Decision.next();
    const state = response.metadata.get(METADATA_KEY);
    if (state === null || !state.isObject || state.has("hit")) return decision;
    // RFC 9111 section 4.4: a successful unsafe request invalidates the stored GET response of its URI.
    if (state.has("invalidate") && response.status >= 200 && response.status < 400) Kv.remove(textOf(state, "invalidate"));
    const fwd = textOf(state, "fwd");
    if (state.has("revalidate") && response.status == 304) return this.freshened(response, textOf(state, "revalidate"), textOf(state, "key"));
    let detail = textOf(state, "detail");
    let stored = false;
    const store = state.get("store");
    if (store !== null && store.boolValue) {
      const authorized = state.get("authorized");
      detail = this.store(response, textOf(state, "key"), authorized !== null && authorized.boolValue);
      stored = detail == "";
    }
    let status = `${this.cacheName}; fwd=${fwd}`;
    if (stored) status += "; stored";
    if (detail != "") status += "; detail=" + detail;
    const upstream = response.headers.get("cache-status");
    return decision.setHeader("cache-status", upstream === null ? status : upstream + ", " + status);
  }

  private hit(stored: StoredResponse, now: u64): Decision {
    return answer(stored, now, `${this.cacheName}; hit; ttl=${stored.ttlSeconds(now).toString()}`)
      .setMetadata(METADATA_KEY, JsonValue.object().set("hit", JsonValue.bool(true)));
  }

  /**
   * The upstream answered our conditional request with 304 (RFC 9111 section 4.3.3): the stored
   * response, freshened with the 304's headers (section 4.3.4), is stored again and answered.
   */
  private freshened(response: Response, target: string, key: string): Decision {
    const found = Kv.get(target);
    const stored = found.isOk && found.ok !== null ? StoredValue.decode(found.ok!).response : null;
    if (stored === null) {
      // The entry went between the request and the answer: the client, which asked unconditionally, gets a 504.
      return Decision.respond(504).setHeader("cache-status", `${this.cacheName}; fwd=stale; fwd-status=304; detail=entry-lost`);
    }
    stored.freshen(response.headers);
    const merged = new Headers(stored.headers);
    const control = CacheControl.of(merged);
    const now = Clock.nowMs();
    const freshness = Freshness.of(merged, control, <i64>now);
    const left = control.noCache || freshness.lifetime < 0 ? 0 : freshness.lifetime - freshness.age;
    const lifetime = left <= 0 ? 0 : left < this.ttlSeconds ? left : this.ttlSeconds;
    stored.storedAtMs = now;
    stored.lifetimeMs = <u64>lifetime * 1000;
    stored.initialAge = freshness.age;
    let status = `${this.cacheName}; fwd=stale; fwd-status=304`;
    if (!control.noStore && key != "" && Kv.set(target, stored.encode(), this.keepMs(lifetime, true)).isOk) status += "; stored";
    return answer(stored, now, status);
  }

  /** How long the store keeps an entry: its freshness, and past it `keepStaleSeconds` when it can be revalidated. */
  private keepMs(lifetime: i64, validator: bool): u64 {
    return <u64>(lifetime + (validator ? this.keepStaleSeconds : 0)) * 1000;
  }

  /** Stores the response when RFC 9111 and the configuration allow it; "" when stored, else why not. */
  private store(response: Response, key: string, authorized: bool): string {
    const status = <i32>response.status;
    if (NEVER_STORED.includes(status) || (this.statuses.length > 0 && !this.statuses.includes(status))) return "status";
    const headers = response.headers;
    const control = CacheControl.of(headers);
    if (control.noStore) return "no-store";
    // A stale copy (or a no-cache one, stale at once) is kept only when it can be revalidated.
    const validator = this.keepStaleSeconds > 0 && (headers.has("etag") || headers.has("last-modified"));
    if (control.noCache && !validator) return "no-cache";
    if (control.isPrivate && !this.storePrivate) return "private";
    if (headers.has("set-cookie")) return "set-cookie";
    if (authorized && !control.isPublic && control.sMaxAge < 0) return "authorization";
    const names = varyNames(headers);
    if (names.includes("*")) return "vary-star";
    const now = Clock.nowMs();
    const freshness = Freshness.of(headers, control, <i64>now);
    // RFC 9111 section 4.2.2: no heuristic freshness, so a response without explicit freshness is not stored.
    if (freshness.lifetime < 0 && !validator) return "no-freshness";
    // The freshness left once the response's age is counted, kept here at most ttlSeconds.
    const left = control.noCache || freshness.lifetime < 0 ? 0 : freshness.lifetime - freshness.age;
    if (left <= 0 && !validator) return "stale";
    const lifetime = left <= 0 ? 0 : left < this.ttlSeconds ? left : this.ttlSeconds;
    const body = response.body;
    if (body === null) return "too-large"; // past the gateway's buffering limit: it streams, unseen
    const entry = StoredResponse.fromResponse(response.status, headers, body, now, <u64>lifetime * 1000, freshness.age).encode();
    if (entry.length > this.maxEntryBytes) return "too-large";
    let target = key;
    if (names.length > 0) {
      if (!Kv.set(key, encodeVaryRecord(names), this.keepMs(this.ttlSeconds, validator)).isOk) return "store-unavailable";
      target = variantKey(key, names, response.request.headers);
    }
    return Kv.set(target, entry, this.keepMs(lifetime, validator)).isOk ? "" : "store-unavailable";
  }

  /** The configured key parts as JSON texts; null when one cannot be evaluated (the request is not cached). */
  private keyValues(): Array<string> | null {
    const values = new Array<string>();
    for (let i = 0; i < this.keyParts.length; i++) {
      const result = Expression.evaluate(this.keyParts[i]);
      if (!result.isOk) return null;
      values.push(result.ok!);
    }
    return values;
  }
}

/** Goes upstream, leaving the verdict for the response flow (RFC 9211 `fwd` reason, store or not). */
function forward(fwd: string, key: string, store: bool, detail: string, authorized: bool = false): Decision {
  return Decision.next().setMetadata(METADATA_KEY, verdict(fwd, key, store, detail, authorized));
}

function verdict(fwd: string, key: string, store: bool, detail: string, authorized: bool): JsonValue {
  const state = JsonValue.object().set("fwd", JsonValue.string(fwd)).set("store", JsonValue.bool(store));
  if (key != "") state.set("key", JsonValue.string(key));
  if (detail != "") state.set("detail", JsonValue.string(detail));
  if (authorized) state.set("authorized", JsonValue.bool(true));
  return state;
}

/** Request fields that make a request conditional: the client's own validation is passed through untouched. */
const CONDITIONALS = ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range"];

/**
 * A stale entry: asks the upstream whether it still holds, with the stored validators (RFC 9111
 * section 4.3.1), unless the client made its own request conditional or there is no validator.
 */
function revalidate(stored: StoredResponse, request: Headers, key: string, target: string, store: bool, authorized: bool): Decision {
  let conditional = false;
  for (let i = 0; i < CONDITIONALS.length; i++) if (request.has(CONDITIONALS[i])) conditional = true;
  if (conditional || !stored.hasValidator) return forward("stale", key, store, "", authorized);
  const state = verdict("stale", key, store, "", authorized).set("revalidate", JsonValue.string(target));
  const decision = Decision.next().setMetadata(METADATA_KEY, state);
  const etag = stored.header("etag");
  const modified = stored.header("last-modified");
  if (etag !== null) decision.setHeader("if-none-match", etag);
  if (modified !== null) decision.setHeader("if-modified-since", modified);
  return decision;
}

/** A stored response as the answer: its status, headers and body, with `Age` and `Cache-Status`. */
function answer(stored: StoredResponse, now: u64, cacheStatus: string): Decision {
  const decision = Decision.respond(stored.status).setBody(stored.body);
  for (let i = 0; i < stored.headers.length; i++) decision.appendHeader(stored.headers[i].name, stored.headers[i].value);
  return decision.setHeader("age", stored.ageSeconds(now).toString()).setHeader("cache-status", cacheStatus);
}

/** The verdict for an unsafe method: go upstream, and drop the URI's entry if the response is a success. */
function invalidation(key: string): JsonValue {
  return JsonValue.object().set("fwd", JsonValue.string("method")).set("store", JsonValue.bool(false)).set("invalidate", JsonValue.string(key));
}

function textOf(json: JsonValue, key: string): string {
  const value = json.get(key);
  return value !== null && value.isString ? value.stringValue : "";
}

function integers(config: Config, key: string): Array<i32> {
  const out = new Array<i32>();
  const list = config.json.get(key);
  if (list === null || !list.isArray) {
    config.invalid(key, "must be a list of status codes");
    return out;
  }
  for (let i = 0; i < list.length; i++) {
    const item = list.at(i);
    if (!item.isNumber || item.numberValue != Math.trunc(item.numberValue)) config.invalidAt(key + "/" + i.toString(), "must be an integer");
    else out.push(<i32>item.numberValue);
  }
  return out;
}

register(new Cache());
