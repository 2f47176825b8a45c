// mcp-guard: allows or denies MCP tools, resources and prompts by ordered rules over who asks
// (consumer, roles, a CEL condition) and what they name; a denial is a JSON-RPC error answered with
// HTTP 200, and list answers (JSON or SSE-framed) are filtered to what the caller may use.
// It reads the JSON-RPC message the host parsed on an `mcp: true` route (metadata `mcp`). See README.md.
import { Config, Decision, Expression, Flow, JsonValue, Policy, register, Request, Response, Sse } from "@portcullis/sdk";
import { Kind, NameList } from "./names";
import { CONFIG_SCHEMA } from "./schema";
import { chargeCall, ToolLimit, readToolLimits } from "./tool-limits";

const NO_CONDITION: i64 = -1;
const UNKNOWN: i8 = -1;
const FAILED: i8 = 2;
const STORE_FAILED = "";

class Rule {
  constructor(
    public readonly allow: bool,
    public readonly tools: NameList | null,
    public readonly resources: NameList | null,
    public readonly prompts: NameList | null,
    public readonly condition: i64,
  ) {}

  names(kind: Kind, name: string): bool {
    const list = kind == Kind.Tool ? this.tools : kind == Kind.Resource ? this.resources : this.prompts;
    return list !== null && list.matches(name);
  }
}

class McpGuard extends Policy {
  rules: Array<Rule> = [];
  allowByDefault: bool = false;
  errorCode: i64 = -32003;
  limitErrorCode: i64 = -32029;
  limits: Array<ToolLimit> = [];
  /** Each rule's condition for the request in hand: UNKNOWN, 0, 1 or FAILED. */
  held: Array<i8> = [];

  constructor() {
    super("mcp-guard", "0.1.0");
    this.flows = [Flow.Request, Flow.Response];
    this.needsResponseBody = true;
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    this.allowByDefault = config.optionalString("default", "deny") == "allow";
    this.errorCode = config.optionalInteger("errorCode", -32003);
    this.limitErrorCode = config.optionalInteger("limitErrorCode", -32029);
    this.limits = readToolLimits(config);
    const rules = config.objectList("rules");
    if (rules.length == 0) return config.invalid("rules", "must list at least one rule");
    for (let i = 0; i < rules.length && config.ok; i++) this.rules.push(readRule(rules[i]));
    this.held = new Array<i8>(this.rules.length);
  }

  /** Asks list answers unencoded, so the response flow can filter them. */
  onRequest(request: Request): Decision {
    const view = request.metadata.get("mcp");
    if (view === null || !view.isObject) return Decision.next();
    this.held.fill(UNKNOWN);
    const batch = view.get("batch");
    if (batch === null) {
      const refused = this.refusal(view);
      if (refused !== null) return Decision.respondJson(200, this.error(view, refused!, this.errorCode));
      const limited = this.limitReason(view, request);
      if (limited === STORE_FAILED) return Decision.unavailable("the counters store did not answer");
      if (limited !== null) return Decision.respondJson(200, this.error(view, limited!, this.limitErrorCode));
      return listKind(view) != Kind.None ? Decision.next().setHeader("accept-encoding", "identity") : Decision.next();
    }
    // A batch with one denied or rate-limited message is refused whole: every request in it gets an error.
    for (let i = 0; i < batch.length; i++) {
      const denied = this.refusal(batch.at(i));
      if (denied !== null) return this.refuseBatch(batch, i, denied!, this.errorCode);
    }
    for (let i = 0; i < batch.length; i++) {
      const limited = this.limitReason(batch.at(i), request);
      if (limited === STORE_FAILED) return Decision.unavailable("the counters store did not answer");
      if (limited !== null) return this.refuseBatch(batch, i, limited!, this.limitErrorCode);
    }
    return Decision.next();
  }

  private refuseBatch(batch: JsonValue, culprit: i32, reason: string, code: i64): Decision {
    const answers = JsonValue.array();
    for (let i = 0; i < batch.length; i++) {
      const message = batch.at(i);
      if (!message.has("id") || message.has("response")) continue;
      answers.push(this.error(message, i == culprit ? reason : "batch refused: " + reason, code));
    }
    return answers.length == 0 ? Decision.respond(202) : Decision.respondJson(200, answers);
  }

  onResponse(response: Response): Decision {
    const view = response.metadata.get("mcp");
    if (view === null || !view.isObject || view.has("batch")) return Decision.next();
    const kind = listKind(view);
    const body = response.body;
    if (kind == Kind.None || body === null || body.length == 0) return Decision.next();
    const encoding = response.headers.get("content-encoding");
    if (encoding !== null && encoding!.toLowerCase() != "identity") {
      return Decision.respondJson(502, JsonValue.object().set("code", JsonValue.string("MCP_GUARD_BODY_ENCODED")));
    }
    this.held.fill(UNKNOWN);
    const text = String.UTF8.decode(body.buffer);
    const type = response.headers.get("content-type");
    if (type !== null && type!.toLowerCase().startsWith("text/event-stream")) return this.filterEvents(text, kind);
    const document = JsonValue.parse(text);
    // Not JSON-RPC, or nothing to take out: the answer passes byte for byte.
    if (document === null || !this.filter(document!, kind)) return Decision.next();
    return Decision.next().setBodyText(document!.toString());
  }

  /**
   * An SSE-framed answer (the SDK's `Sse`): each event's JSON-RPC data filtered; an event with items taken
   * out gets its data back as one `data:` line, its other fields and line ends kept; the rest pass as sent.
   */
  private filterEvents(text: string, kind: Kind): Decision {
    const events = Sse.events(text);
    let changed = false;
    for (let i = 0; i < events.length; i++) {
      const data = events[i].data;
      if (data === null) continue;
      const document = JsonValue.parse(data!);
      if (document === null || !this.filter(document!, kind)) continue;
      events[i].setData(document!.toString());
      changed = true;
    }
    return changed ? Decision.next().setBodyText(Sse.join(events)) : Decision.next();
  }

  /**
   * Keeps the items of a list answer (`result.tools`, `result.resources`, `result.prompts`) the caller may
   * use; true when it took some out.
   */
  private filter(document: JsonValue, kind: Kind): bool {
    const result = document.get("result");
    if (result === null) return false;
    const key = kind == Kind.Tool ? "tools" : kind == Kind.Resource ? "resources" : "prompts";
    const items = result!.get(key);
    if (items === null || !items!.isArray) return false;
    const kept = JsonValue.array();
    for (let i = 0; i < items!.length; i++) {
      const item = items!.at(i);
      const name = item.get(kind == Kind.Resource ? "uri" : "name");
      if (name !== null && name!.isString && this.allowed(kind, name!.stringValue)) kept.push(item);
    }
    if (kept.length == items!.length) return false;
    result!.set(key, kept);
    return true;
  }

  /** Why this message is refused, or null when it may go on. */
  private refusal(message: JsonValue): string | null {
    const method = stringOf(message, "method");
    let kind = Kind.None;
    let name = "";
    if (method == "tools/call") {
      kind = Kind.Tool;
      name = stringOf(message, "tool");
    } else if (method == "prompts/get") {
      kind = Kind.Prompt;
      name = stringOf(message, "prompt");
    } else if (method == "resources/read" || method == "resources/subscribe") {
      kind = Kind.Resource;
      name = stringOf(message, "resource");
    }
    if (kind == Kind.None || this.allowed(kind, name)) return null;
    const what = kind == Kind.Tool ? "tool" : kind == Kind.Resource ? "resource" : "prompt";
    return what + " " + JsonValue.string(name).toString() + " is not allowed";
  }

  /** The first rule naming `name` whose condition holds decides; a condition that fails denies. */
  private allowed(kind: Kind, name: string): bool {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (!rule.names(kind, name)) continue;
      const held = this.holds(i);
      if (held == FAILED) return false;
      if (held == 1) return rule.allow;
    }
    return this.allowByDefault;
  }

  private holds(index: i32): i8 {
    const rule = this.rules[index];
    if (rule.condition == NO_CONDITION) return 1;
    if (this.held[index] == UNKNOWN) {
      const result = Expression.evaluate(<u32>rule.condition);
      this.held[index] = !result.isOk ? FAILED : result.ok == "true" ? 1 : 0;
    }
    return this.held[index];
  }

  /**
   * Charges an allowed tools/call to the limits naming its tool: null within them, why when one is
   * passed, STORE_FAILED when the counters store did not answer (fail closed).
   */
  private limitReason(message: JsonValue, request: Request): string | null {
    if (this.limits.length == 0 || stringOf(message, "method") != "tools/call") return null;
    const consumer = request.metadata.getString("consumer");
    const caller = consumer !== null ? "c:" + consumer! : "a:" + request.clientAddress;
    const tool = stringOf(message, "tool");
    const charge = chargeCall(this.limits, tool, caller);
    if (charge.failed) return STORE_FAILED;
    if (!charge.over) return null;
    return "rate limit of tool " + JsonValue.string(tool).toString() + " reached; retry in " + charge.retryInSeconds.toString() + " s";
  }

  private error(message: JsonValue, text: string, code: i64): JsonValue {
    const id = message.get("id");
    const error = JsonValue.object().set("code", JsonValue.number(<f64>code)).set("message", JsonValue.string(text));
    return JsonValue.object()
      .set("jsonrpc", JsonValue.string("2.0"))
      .set("id", id !== null ? id! : JsonValue.null())
      .set("error", error);
  }
}

export { McpGuard };

function readRule(rule: Config): Rule {
  const conditions = new Array<string>();
  const when = rule.optionalString("when", "");
  if (when != "") conditions.push("(" + when + ")");
  const consumers = rule.optionalStringList("consumers");
  if (consumers.length > 0) conditions.push("(has(metadata.consumer) && metadata.consumer in " + celList(consumers) + ")");
  const roles = rule.optionalStringList("roles");
  if (roles.length > 0) {
    const list = celList(roles);
    conditions.push("((has(metadata.roles) && metadata.roles.exists(r, r in " + list + ")) || (has(jwt.roles) && jwt.roles.exists(r, r in " + list + ")))");
  }
  let condition = NO_CONDITION;
  if (conditions.length > 0) {
    const compiled = Expression.compile(conditions.join(" && "));
    if (compiled.isOk) condition = <i64>compiled.ok;
    else {
      const reason = compiled.err !== null && compiled.err!.invalidValue !== null ? compiled.err!.invalidValue! : "unknown error";
      rule.invalid(when != "" ? "when" : consumers.length > 0 ? "consumers" : "roles", "is not a valid CEL condition: " + reason);
    }
  }
  const tools = listOf(rule, "tools");
  const resources = listOf(rule, "resources");
  const prompts = listOf(rule, "prompts");
  if (tools === null && resources === null && prompts === null) rule.invalid("effect", "a rule names tools, resources or prompts");
  return new Rule(rule.requireString("effect") == "allow", tools, resources, prompts, condition);
}

function listOf(rule: Config, key: string): NameList | null {
  return rule.has(key) ? new NameList(rule.optionalStringList(key)) : null;
}

function celList(items: Array<string>): string {
  const quoted = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) quoted[i] = JsonValue.string(items[i]).toString();
  return "[" + quoted.join(", ") + "]";
}

function stringOf(message: JsonValue, key: string): string {
  const value = message.get(key);
  return value !== null && value!.isString ? value!.stringValue : "";
}

/** The kind a list request (tools/list, resources/list, prompts/list) lists, else None. */
function listKind(view: JsonValue): Kind {
  const method = stringOf(view, "method");
  if (method == "tools/list") return Kind.Tool;
  if (method == "resources/list") return Kind.Resource;
  if (method == "prompts/list") return Kind.Prompt;
  return Kind.None;
}

register(new McpGuard());
