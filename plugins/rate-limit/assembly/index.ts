// rate-limit: charges each request to its limits in the shared `counters` store (fixed, epoch-aligned
// windows or token buckets; exact across workers, and across gateway instances when the store is Redis),
// keyed by a CEL expression (client address by default), with limits chosen per tier. Over a limit: 429
// RATE_LIMITED with Retry-After and the RateLimit fields. In the response flow it copies those fields onto
// the response.
import {
  Config, Crypto, Decision, Expression, Flow, Header, JsonValue, Policy, register, Request, Response,
} from "@portcullis/sdk";
import { checkLimit } from "./check-limit";
import { Limit, LimitState, readLimits } from "./limits";
import { HeaderStyle, rateHeaders } from "./rate-headers";
import { CONFIG_SCHEMA } from "./schema";

/** Metadata key of the current state, for the response flow, later policies and expressions. */
const METADATA_KEY = "rateLimit";

class RateLimit extends Policy {
  keyExpression: u32 = 0;
  tierExpression: i32 = -1;
  tierNames: Array<string> = [];
  tierLimits: Array<Array<Limit>> = [];
  defaultTier: i32 = 0;
  scope: string = "";
  failOpen: bool = true;
  style: HeaderStyle = HeaderStyle.Ietf;

  constructor() {
    super("rate-limit", "1.0.0");
    this.flows = [Flow.Request, Flow.Response];
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    this.keyExpression = compile(config, "key", config.optionalString("key", "request.clientAddress"));
    this.scope = config.optionalString("scope", "");
    this.failOpen = config.optionalString("onStoreError", "open") != "closed";
    const style = config.optionalString("headers", "ietf");
    this.style = style == "none" ? HeaderStyle.None : style == "x-ratelimit" ? HeaderStyle.XRateLimit : HeaderStyle.Ietf;
    this.tierNames = [];
    this.tierLimits = [];
    if (config.has("limits") || !config.has("tiers")) {
      this.tierNames.push("");
      this.tierLimits.push(readLimits(config, "limits"));
      return;
    }
    const tiers = config.object("tiers");
    for (let i = 0; i < tiers.json.keys.length; i++) {
      this.tierNames.push(tiers.json.keys[i]);
      this.tierLimits.push(readLimits(tiers, tiers.json.keys[i]));
    }
    this.tierExpression = <i32>compile(config, "tier", config.requireString("tier"));
    this.defaultTier = this.tierNames.indexOf(config.requireString("defaultTier"));
    if (config.ok && this.defaultTier < 0) config.invalid("defaultTier", "must name one of the tiers");
  }

  onRequest(request: Request): Decision {
    const tier = this.tierOf();
    const limits = this.tierLimits[tier];
    const scope = this.scope != "" ? this.scope : request.route != "" ? request.route : request.listener;
    const client = clientKey(evaluateText(this.keyExpression), request.clientAddress);
    let tightest: LimitState | null = null;
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i];
      const state = checkLimit(limit, `ratelimit:${scope}:${limit.name}:${client}`);
      if (state === null) {
        return this.failOpen ? Decision.next() : Decision.unavailable("rate-limit counter store unavailable");
      }
      if (state.exceeded) return this.reject(state, limits, this.tierNames[tier]);
      if (tightest === null || state.remaining < tightest.remaining) tightest = state;
    }
    const decision = Decision.next();
    if (this.style == HeaderStyle.None) return decision;
    const state = tightest!;
    return decision.setMetadata(METADATA_KEY, metadataOf(state, this.tierNames[tier], rateHeaders(this.style, limits, state)));
  }

  /** Copies the fields the request flow computed (absent when it did not run or failed open). */
  onResponse(response: Response): Decision {
    const decision = Decision.next();
    const state = response.metadata.get(METADATA_KEY);
    if (state === null) return decision;
    const headers = state.get("headers");
    if (headers === null || !headers.isObject) return decision;
    for (let i = 0; i < headers.keys.length; i++) {
      const value = headers.items[i];
      if (value.isString) decision.setHeader(headers.keys[i], value.stringValue);
    }
    return decision;
  }

  private reject(state: LimitState, limits: Array<Limit>, tier: string): Decision {
    const body = JsonValue.object()
      .set("code", JsonValue.string("RATE_LIMITED"))
      .set("message", JsonValue.string(`rate limit "${state.limit.name}" exceeded`))
      .set("limit", JsonValue.string(state.limit.name))
      .set("retryAfter", JsonValue.number(<f64>state.retrySeconds));
    const decision = Decision.respondJson(429, body).setHeader("retry-after", state.retrySeconds.toString());
    const headers = rateHeaders(this.style, limits, state);
    for (let i = 0; i < headers.length; i++) decision.setHeader(headers[i].name, headers[i].value);
    return decision.setMetadata(METADATA_KEY, metadataOf(state, tier, headers));
  }

  /** The tier the tier expression names; the default tier when it names none or fails. */
  private tierOf(): i32 {
    if (this.tierExpression < 0) return 0;
    const name = evaluateText(<u32>this.tierExpression);
    const index = name === null ? -1 : this.tierNames.indexOf(name);
    return index < 0 ? this.defaultTier : index;
  }
}

function compile(config: Config, key: string, source: string): u32 {
  if (!config.ok) return 0;
  const compiled = Expression.compile(source);
  if (!compiled.isOk) config.invalid(key, compiled.err!.invalidValue!);
  return compiled.ok;
}

/** The expression's result as text (strings as they are, numbers and booleans as JSON); null when absent. */
function evaluateText(handle: u32): string | null {
  const result = Expression.evaluate(handle);
  if (!result.isOk) return null;
  const json = JsonValue.parse(result.ok!);
  if (json === null || json.isNull || json.isObject || json.isArray) return null;
  const text = json.isString ? json.stringValue : json.toString();
  return text.length == 0 ? null : text;
}

/** Keys may be secrets (API keys) or long (claims): counters see a SHA-256 of them, never the value. */
function clientKey(key: string | null, clientAddress: string): string {
  const text = key === null ? "address\u0000" + clientAddress : "key\u0000" + key;
  return Crypto.sha256Hex(text).substring(0, 32); // the first 16 bytes are plenty to tell clients apart
}

function metadataOf(state: LimitState, tier: string, headers: Array<Header>): JsonValue {
  const fields = JsonValue.object();
  for (let i = 0; i < headers.length; i++) fields.set(headers[i].name, JsonValue.string(headers[i].value));
  return JsonValue.object()
    .set("tier", tier == "" ? JsonValue.null() : JsonValue.string(tier))
    .set("limit", JsonValue.string(state.limit.name))
    .set("remaining", JsonValue.number(<f64>state.remaining))
    .set("resetSeconds", JsonValue.number(<f64>state.resetSeconds))
    .set("headers", fields);
}

register(new RateLimit());
