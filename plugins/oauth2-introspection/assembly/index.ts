// oauth2-introspection: authenticates a request by an opaque OAuth 2.0 bearer token, asking an RFC 7662
// introspection endpoint with the gateway's client credentials whether the token is active. Checks the
// answer's expiry, scopes, audience and issuer, and exposes its claims to later policies as metadata
// (`oauth2` by default), like jwt does with `jwt`. A cached answer decides at once; otherwise the call
// is dispatched and the decision is taken in onCallResult, the worker serving other requests meanwhile.
import { Clock, Config, Decision, FetchResult, JsonValue, Policy, register, Request } from "@portcullis/sdk";
import { Answer, ClientAuth, Introspection, isActive } from "./introspection";
import { SCHEMA } from "./schema";

class ClaimHeader {
  constructor(public readonly claim: string, public readonly header: string) {}
}

class Rejection {
  constructor(public readonly status: i32, public readonly code: string, public readonly message: string) {}
}

const MISSING = new Rejection(401, "TOKEN_MISSING", "a bearer token is required");
const MALFORMED = new Rejection(401, "TOKEN_MALFORMED", "the credential is not a bearer token");
const INACTIVE = new Rejection(401, "TOKEN_INACTIVE", "the token is not active");
const EXPIRED = new Rejection(401, "TOKEN_EXPIRED", "the token has expired");
const AUDIENCE = new Rejection(401, "AUDIENCE_INVALID", "the token is not meant for this audience");
const ISSUER = new Rejection(401, "ISSUER_INVALID", "the token's issuer is not accepted");
const SCOPE = new Rejection(403, "INSUFFICIENT_SCOPE", "the token lacks a required scope");

function stringOrList(config: Config, key: string): string[] {
  const value = config.json.get(key);
  if (value === null) return [];
  if (value.isString) return [value.stringValue];
  return config.optionalStringList(key);
}

/** True when the claim `name` is one of `accepted` (or a list sharing a value with it). */
function claimMatches(claims: JsonValue, name: string, accepted: string[]): bool {
  const value = claims.get(name);
  if (value === null) return false;
  if (value.isString) return accepted.includes(value.stringValue);
  if (!value.isArray) return false;
  for (let i = 0; i < value.length; i++) {
    const item = value.at(i);
    if (item.isString && accepted.includes(item.stringValue)) return true;
  }
  return false;
}

class OAuth2Introspection extends Policy {
  introspection: Introspection | null = null;
  scopes: string[] = [];
  audiences: string[] = [];
  issuers: string[] = [];
  failOpen: bool = false;
  header: string = "authorization";
  scheme: string = "bearer";
  metadataKey: string = "oauth2";
  claimHeaders: ClaimHeader[] = [];
  keepToken: bool = false;
  realm: string = "api";

  constructor() {
    super("oauth2-introspection", "0.1.0");
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    const cache = config.object("cache");
    this.introspection = new Introspection(
      config.requireString("endpoint"),
      config.requireString("clientId"),
      config.requireString("clientSecret"),
      config.optionalString("clientAuth", "basic") == "post" ? ClientAuth.Post : ClientAuth.Basic,
      config.optionalString("tokenTypeHint", "access_token"),
      <u32>config.optionalInteger("timeoutMs", 2000, 50, 30000),
      <u64>cache.optionalInteger("maxSeconds", 300, 0, 86400) * 1000,
      <u64>cache.optionalInteger("inactiveSeconds", 30, 0, 3600) * 1000,
    );
    this.scopes = config.optionalStringList("scopes");
    this.audiences = stringOrList(config, "audience");
    this.issuers = stringOrList(config, "issuer");
    this.failOpen = config.optionalString("failureMode", "closed") == "open";
    this.header = config.optionalString("header", "authorization").toLowerCase();
    this.scheme = config.optionalString("scheme", this.header == "authorization" ? "Bearer" : "").toLowerCase();
    this.metadataKey = config.optionalString("metadataKey", "oauth2");
    this.keepToken = config.optionalBool("keepToken", false);
    this.realm = config.optionalString("realm", "api");
    const mapping = config.json.get("claimsToHeaders");
    if (mapping !== null && mapping.isObject) {
      const names = mapping.keys;
      for (let i = 0; i < names.length; i++) {
        this.claimHeaders.push(new ClaimHeader(names[i], mapping.get(names[i])!.stringValue.toLowerCase()));
      }
    }
  }

  onRequest(request: Request): Decision {
    const token = this.tokenOf(request);
    if (token === null) return this.reject(MALFORMED);
    if (token == "") return this.reject(MISSING);
    const cached = this.introspection!.cached(token);
    if (cached !== null) return this.decide(new Answer(cached, ""));
    const queued = this.introspection!.ask(token);
    return queued.isOk ? Decision.next() : this.decide(new Answer(null, "the introspection endpoint cannot be called"));
  }

  /** The endpoint's answer; the token is read from the request again (nothing is kept per request). */
  onCallResult(request: Request, call: u32, response: FetchResult): Decision {
    const token = this.tokenOf(request);
    if (token === null || token == "") return this.reject(MISSING); // not reached: only a request with a token dispatches
    return this.decide(this.introspection!.answer(token, response));
  }

  private decide(answer: Answer): Decision {
    const claims = answer.claims;
    if (claims === null) {
      if (this.failOpen) return this.forward(null);
      const body = JsonValue.object().set("code", JsonValue.string("INTROSPECTION_UNAVAILABLE")).set("message", JsonValue.string(answer.problem));
      return Decision.respondJson(503, body).setHeader("retry-after", "5");
    }
    const problem = this.check(claims);
    return problem === null ? this.forward(claims) : this.reject(problem);
  }

  /** The token, "" when none is sent, null when the header carries another scheme. */
  private tokenOf(request: Request): string | null {
    const value = request.headers.get(this.header);
    if (value === null) return "";
    const text = value.trim();
    if (text == "" || this.scheme == "") return text;
    const space = text.indexOf(" ");
    if (space < 0 || text.substring(0, space).toLowerCase() != this.scheme) return null;
    return text.substring(space + 1).trim();
  }

  private check(claims: JsonValue): Rejection | null {
    if (!isActive(claims)) return INACTIVE;
    const exp = claims.get("exp");
    if (exp !== null && exp.isNumber && exp.numberValue * 1000 <= <f64>Clock.nowMs()) return EXPIRED;
    if (this.issuers.length > 0 && !claimMatches(claims, "iss", this.issuers)) return ISSUER;
    if (this.audiences.length > 0 && !claimMatches(claims, "aud", this.audiences)) return AUDIENCE;
    if (this.scopes.length > 0) {
      const scope = claims.get("scope");
      const granted = scope !== null && scope.isString ? scope.stringValue.split(" ") : new Array<string>();
      for (let i = 0; i < this.scopes.length; i++) if (!granted.includes(this.scopes[i])) return SCOPE;
    }
    return null;
  }

  /** Goes on with the claims as metadata and mapped headers; null claims (fail open) set neither. */
  private forward(claims: JsonValue | null): Decision {
    const decision = Decision.next();
    if (claims !== null) decision.setMetadata(this.metadataKey, claims);
    for (let i = 0; i < this.claimHeaders.length; i++) {
      const mapping = this.claimHeaders[i];
      let value: JsonValue | null = null;
      if (claims !== null) value = claims.get(mapping.claim);
      if (value === null) decision.removeHeader(mapping.header);
      else decision.setHeader(mapping.header, value.isString ? value.stringValue : value.toString());
    }
    if (!this.keepToken) decision.removeHeader(this.header);
    return decision;
  }

  private reject(rejection: Rejection): Decision {
    const body = JsonValue.object().set("code", JsonValue.string(rejection.code)).set("message", JsonValue.string(rejection.message));
    let challenge = 'Bearer realm="' + this.realm + '"';
    if (rejection === SCOPE) challenge += ', error="insufficient_scope", scope="' + this.scopes.join(" ") + '"';
    else if (rejection !== MISSING) challenge += ', error="invalid_token"';
    return Decision.respondJson(rejection.status, body).setHeader("www-authenticate", challenge);
  }
}

register(new OAuth2Introspection());
