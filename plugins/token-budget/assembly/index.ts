// token-budget: per-consumer LLM token budgets per minute and per day. The request flow refuses a consumer
// whose budget is spent (429 with the budget fields and Retry-After); the response flow reads the tokens the
// answer used (OpenAI-compatible chat completions, JSON or SSE-streamed) and adds them to the shared counters.
// Streamed answers are read whole, or event by event when the route attaches it with `sseEvents: true`.
import { BodyNeed, Config, Crypto, Decision, Expression, Flow, JsonValue, Policy, register, Request, Response } from "@portcullis/sdk";
import { Budget, BudgetState, charge, setBudgetHeaders } from "./budgets";
import { CONFIG_SCHEMA } from "./schema";
import { estimateTokens, promptChars, readEvents, readJsonAnswer, Usage } from "./usage";

/** Metadata from the request flow to the response flow: { client, scope, prompt, chars, charged }. */
const METADATA_KEY = "tokenBudget";
/** Set by the gateway while it hands a streamed answer over event by event (docs/policies.md). */
const SSE_KEY = "sse";

class TokenBudget extends Policy {
  keyExpression: u32 = 0;
  budgets: Array<Budget> = [];
  scope: string = "";
  failOpen: bool = true;

  constructor() {
    super("token-budget", "1.0.0");
    this.flows = [Flow.Request, Flow.Response];
    this.needsRequestBody = true;
    this.needsResponseBody = true;
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    // The prompt is only estimated from, and a large answer is not held back for: neither must be whole.
    this.requestBody = BodyNeed.WholeIfFits;
    this.responseBody = BodyNeed.WholeIfFits;
    this.scope = config.optionalString("scope", "");
    this.failOpen = config.optionalString("onStoreError", "open") != "closed";
    this.budgets = [];
    const perMinute = config.optionalInteger("perMinute", 0, 1, 1_000_000_000_000);
    const perDay = config.optionalInteger("perDay", 0, 1, 1_000_000_000_000);
    if (perMinute > 0) this.budgets.push(new Budget("minute", perMinute, 60_000));
    if (perDay > 0) this.budgets.push(new Budget("day", perDay, 86_400_000));
    if (config.ok && this.budgets.length == 0) config.invalid("perMinute", "set perMinute, perDay or both");
    const source = config.optionalString("key", "metadata.consumer");
    if (!config.ok) return;
    const compiled = Expression.compile(source);
    if (!compiled.isOk) config.invalid("key", compiled.err!.invalidValue!);
    else this.keyExpression = compiled.ok;
  }

  onRequest(request: Request): Decision {
    const scope = this.scope != "" ? this.scope : request.route != "" ? request.route : request.listener;
    const client = consumerKey(this.keyExpression, request.clientAddress);
    const state = charge(this.budgets, scope, client, 0);
    if (state === null) return this.failOpen ? Decision.next() : Decision.unavailable("token-budget counter store unavailable");
    if (state.spent) return reject(state);
    const carried = JsonValue.object()
      .set("client", JsonValue.string(client))
      .set("scope", JsonValue.string(scope))
      .set("prompt", JsonValue.number(<f64>promptChars(request.bodyText())))
      .set("chars", JsonValue.number(0))
      .set("charged", JsonValue.bool(false));
    // The usage must be readable: no compressed answers (they would pass uncounted).
    return Decision.next().setHeader("accept-encoding", "identity").setMetadata(METADATA_KEY, carried);
  }

  onResponse(response: Response): Decision {
    const carried = response.metadata.get(METADATA_KEY);
    if (carried === null || !carried.isObject || field(carried, "charged").boolValue) return Decision.next();
    const client = field(carried, "client").stringValue;
    const scope = field(carried, "scope").stringValue;
    const marker = response.metadata.get(SSE_KEY);
    const phase = marker !== null && marker.isObject && marker.has("phase") ? marker.get("phase")!.stringValue : "";
    if (phase == "head") {
      const state = charge(this.budgets, scope, client, 0);
      return state === null ? Decision.next() : setBudgetHeaders(Decision.next(), state);
    }
    const usage = new Usage();
    usage.chars = <i64>field(carried, "chars").numberValue;
    const contentType = response.headers.get("content-type");
    if (phase == "event" || (contentType !== null && contentType.toLowerCase().startsWith("text/event-stream"))) {
      readEvents(response.bodyText(), usage);
    } else readJsonAnswer(response.bodyText(), usage);
    if (phase == "event" && usage.reported < 0) {
      // Not reported yet: keep counting the text until the usage chunk or the end of the stream.
      return Decision.next().setMetadata(METADATA_KEY, carried.set("chars", JsonValue.number(<f64>usage.chars)));
    }
    let tokens = usage.reported;
    if (tokens < 0) tokens = response.status >= 400 ? 0 : estimateTokens(<i64>field(carried, "prompt").numberValue) + estimateTokens(usage.chars);
    const decision = Decision.next().setMetadata(METADATA_KEY, carried.set("charged", JsonValue.bool(true)).set("tokens", JsonValue.number(<f64>tokens)));
    const state = charge(this.budgets, scope, client, tokens);
    // Streamed answers sent their head already; a JSON answer shows what is left after this one.
    return state === null || phase != "" ? decision : setBudgetHeaders(decision, state);
  }
}

/** A field of the carried metadata; null JSON (false, 0, "") when another policy removed it. */
function field(carried: JsonValue, key: string): JsonValue {
  const value = carried.get(key);
  return value === null ? JsonValue.null() : value;
}

function reject(state: BudgetState): Decision {
  const body = JsonValue.object()
    .set("code", JsonValue.string("TOKEN_BUDGET_EXCEEDED"))
    .set("message", JsonValue.string(`token budget per ${state.budget.name} spent`))
    .set("budget", JsonValue.string(state.budget.name))
    .set("retryAfter", JsonValue.number(<f64>state.resetSeconds));
  const decision = Decision.respondJson(429, body).setHeader("retry-after", state.resetSeconds.toString());
  return setBudgetHeaders(decision, state);
}

/**
 * Who is charged: the key expression's string (hashed, as keys may be secrets: counters never see the
 * value), or the client address when it yields no string.
 */
function consumerKey(handle: u32, clientAddress: string): string {
  const result = Expression.evaluate(handle);
  const json = result.isOk ? JsonValue.parse(result.ok!) : null;
  const named = json !== null && json.isString && json.stringValue.length > 0;
  return Crypto.sha256Hex(named ? "key\u0000" + json!.stringValue : "address\u0000" + clientAddress).substring(0, 32);
}

register(new TokenBudget());
