// ext-authz: asks an external HTTP authorization service whether a request may go on, in the shape of
// Envoy's HTTP ext_authz, so existing services work: the check request has the client's method and
// path (after the service URL's path), the chosen headers and optionally the body; a 2xx answer
// allows (some of its headers can be added upstream), any other answer is sent to the client as the
// denial. Decisions can be cached by a CEL key; a failed call fails closed or open as configured.
// The check is dispatched (Http.dispatch): the worker runs other requests while the service thinks,
// and the answer comes to onCallResult; a cached decision is applied at once.
import { BodyNeed, Config, Decision, Expression, FetchResult, Header, Http, JsonValue, Policy, register, Request, Wire } from "@portcullis/sdk";
import { SCHEMA } from "./schema";
import { Verdict, VerdictCache } from "./verdict";

/** Headers every check request carries when the client sent them (Envoy's defaults). */
const ALWAYS_SENT = ["authorization"];

function lowerList(config: Config, key: string): string[] {
  const names = config.optionalStringList(key);
  for (let i = 0; i < names.length; i++) names[i] = names[i].toLowerCase();
  return names;
}

class ExtAuthz extends Policy {
  serviceUrl: string = "";
  timeoutMs: u32 = 500;
  forwarded: string[] = [];
  bodyMaxBytes: i32 = -1;
  allowPartial: bool = false;
  upstreamHeaders: string[] = [];
  /** Null: every header of a denial goes to the client (but framing ones). */
  clientHeaders: string[] | null = null;
  cache: VerdictCache | null = null;
  failOpen: bool = false;
  statusOnError: i32 = 403;

  constructor() {
    super("ext-authz", "0.1.0");
    this.needsRequestBody = true;
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    const url = config.requireString("url");
    this.serviceUrl = url.endsWith("/") ? url.substring(0, url.length - 1) : url;
    this.timeoutMs = <u32>config.optionalInteger("timeoutMs", 500, 10, 30000);
    this.forwarded = ALWAYS_SENT.concat(lowerList(config, "headers"));
    this.upstreamHeaders = lowerList(config, "upstreamHeaders");
    if (config.has("clientHeaders")) this.clientHeaders = lowerList(config, "clientHeaders");
    this.failOpen = config.optionalString("failureMode", "closed") == "open";
    this.statusOnError = <i32>config.optionalInteger("statusOnError", 403, 400, 599);
    this.requestBody = BodyNeed.None;
    if (config.has("body")) {
      const body = config.object("body");
      this.bodyMaxBytes = <i32>body.requireInteger("maxBytes", 1, 1048576);
      this.allowPartial = body.optionalBool("allowPartial", false);
      this.requestBody = BodyNeed.Whole;
    }
    if (config.has("cache")) {
      const cache = config.object("cache");
      const compiled = Expression.compile(cache.requireString("key"));
      if (!compiled.isOk) {
        cache.invalid("key", compiled.err!.invalidValue!);
        return;
      }
      const ttlMs = <u64>cache.optionalInteger("ttlSeconds", 30, 1, 86400) * 1000;
      this.cache = new VerdictCache(compiled.ok, ttlMs, this.serviceUrl);
    }
  }

  onRequest(request: Request): Decision {
    const cache = this.cache;
    if (cache !== null) {
      const key = cache.keyOf();
      if (key !== null) {
        const cached = cache.get(key!);
        if (cached !== null) return this.apply(cached!);
      }
    }
    let payload: Uint8Array | null = null;
    let partial = false;
    if (this.bodyMaxBytes >= 0) {
      let body = new Uint8Array(0);
      const whole = request.body;
      if (whole !== null) body = whole;
      if (body.length > this.bodyMaxBytes) {
        if (!this.allowPartial) return Decision.respondJson(413, problem("BODY_TOO_LARGE", "the body is larger than the authorization check takes"));
        body = body.subarray(0, this.bodyMaxBytes);
        partial = true;
      }
      payload = body;
    }
    const target = this.serviceUrl + request.path + (request.query == "" ? "" : "?" + request.query);
    const queued = Http.dispatch(request.method, target, this.checkHeaders(request, partial), payload, this.timeoutMs);
    return queued.isOk ? Decision.next() : this.failed();
  }

  /** The service's answer; nothing of the request was kept: the cache key is evaluated again. */
  onCallResult(request: Request, call: u32, response: FetchResult): Decision {
    const answer = response.ok;
    // An unreachable, timed-out or failing (5xx) service is a failure, never a decision.
    if (!response.isOk || answer === null || answer.status >= 500) return this.failed();
    const verdict = answer.status >= 200 && answer.status < 300
      ? new Verdict(true, 200, this.pick(answer.headers, this.upstreamHeaders), new Uint8Array(0))
      : new Verdict(false, answer.status, this.clientHeadersOf(answer.headers), answer.body);
    const cache = this.cache;
    if (cache !== null) {
      const key = cache.keyOf();
      if (key !== null) cache.put(key!, verdict);
    }
    return this.apply(verdict);
  }

  private checkHeaders(request: Request, partial: bool): Header[] {
    const headers = new Array<Header>();
    for (let i = 0; i < this.forwarded.length; i++) {
      const values = request.headers.getAll(this.forwarded[i]);
      for (let j = 0; j < values.length; j++) headers.push(new Header(this.forwarded[i], values[j]));
    }
    headers.push(new Header("x-forwarded-host", request.authority));
    headers.push(new Header("x-forwarded-proto", request.scheme));
    headers.push(new Header("x-request-id", request.requestId));
    if (this.bodyMaxBytes >= 0) headers.push(new Header("x-envoy-auth-partial-body", partial ? "true" : "false"));
    return headers;
  }

  private pick(headers: Header[], names: string[]): Header[] {
    const picked = new Array<Header>();
    for (let i = 0; i < headers.length; i++) {
      const name = headers[i].name.toLowerCase();
      if (names.includes(name) && Wire.isValidHeaderValue(headers[i].value)) picked.push(new Header(name, headers[i].value));
    }
    return picked;
  }

  private clientHeadersOf(headers: Header[]): Header[] {
    const names = this.clientHeaders;
    if (names !== null) return this.pick(headers, names);
    const kept = new Array<Header>();
    for (let i = 0; i < headers.length; i++) {
      const name = headers[i].name.toLowerCase();
      if (Wire.isFramingHeader(name) || name == "date" || name == "server" || !Wire.isValidHeaderValue(headers[i].value)) continue;
      kept.push(new Header(name, headers[i].value));
    }
    return kept;
  }

  private apply(verdict: Verdict): Decision {
    if (verdict.allow) {
      const decision = Decision.next();
      // A client-sent header of a name the service may set never reaches the upstream on its own.
      for (let i = 0; i < this.upstreamHeaders.length; i++) decision.removeHeader(this.upstreamHeaders[i]);
      for (let i = 0; i < verdict.headers.length; i++) decision.appendHeader(verdict.headers[i].name, verdict.headers[i].value);
      return decision;
    }
    const decision = Decision.respond(verdict.status, "").setBody(verdict.body);
    for (let i = 0; i < verdict.headers.length; i++) decision.appendHeader(verdict.headers[i].name, verdict.headers[i].value);
    return decision;
  }

  private failed(): Decision {
    if (this.failOpen) {
      const decision = Decision.next();
      for (let i = 0; i < this.upstreamHeaders.length; i++) decision.removeHeader(this.upstreamHeaders[i]);
      return decision;
    }
    return Decision.respondJson(this.statusOnError, problem("AUTHZ_UNAVAILABLE", "the authorization service could not decide"));
  }
}

function problem(code: string, message: string): JsonValue {
  return JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message));
}

register(new ExtAuthz());
