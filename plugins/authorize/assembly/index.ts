// authorize: ordered allow/deny rules; the first rule that matches the request decides, and when
// none does the configured default applies. Conditions over metadata and JWT claims are CEL
// expressions evaluated by the host; `roles` and `scopes` are shorthands that compile to CEL.
import { Config, Decision, Expression, ExpressionError, JsonValue, Policy, register, Request } from "@portcullis/sdk";

const NAME_LIST = `{ "type": "array", "minItems": 1, "items": { "type": "string", "pattern": "^[!#-~]+$" } }`;

const SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "default": { "enum": ["allow", "deny"], "default": "deny" },
    "rules": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "properties": {
          "effect": { "enum": ["allow", "deny"] },
          "methods": { "type": "array", "minItems": 1, "uniqueItems": true, "items": { "type": "string", "pattern": "^[A-Z]+$" } },
          "when": { "type": "string", "minLength": 1 },
          "roles": ${NAME_LIST},
          "scopes": ${NAME_LIST},
          "code": { "type": "string", "pattern": "^[A-Z][A-Z0-9_]*$" }
        },
        "required": ["effect"],
        "additionalProperties": false
      }
    }
  },
  "required": ["rules"],
  "additionalProperties": false
}`;

const NO_EXPRESSION: i64 = -1;

/** `true` when any of `roles` is in the api-key metadata `roles` or in the JWT claim `roles`. */
function rolesCondition(roles: Array<string>): string {
  const list = celList(roles);
  return "((has(metadata.roles) && metadata.roles.exists(r, r in " + list + ")) || " +
    "(has(jwt.roles) && jwt.roles.exists(r, r in " + list + ")))";
}

/** `true` when every one of `scopes` is in the JWT `scope` claim (space-separated) or `scp` claim (a list). */
function scopesCondition(scopes: Array<string>): string {
  const parts = new Array<string>();
  for (let i = 0; i < scopes.length; i++) {
    const scope = JsonValue.string(scopes[i]).toString();
    parts.push("((has(jwt.scope) && " + scope + " in jwt.scope.split(\" \")) || (has(jwt.scp) && " + scope + " in jwt.scp))");
  }
  return parts.join(" && ");
}

function celList(items: Array<string>): string {
  const quoted = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) quoted[i] = JsonValue.string(items[i]).toString();
  return "[" + quoted.join(", ") + "]";
}

class Rule {
  constructor(
    public readonly allow: bool,
    public readonly methods: Array<string>,
    public readonly condition: i64,
    public readonly code: string,
  ) {}
}

class Authorize extends Policy {
  rules: Array<Rule> = [];
  allowByDefault: bool = false;

  constructor() {
    super("authorize", "0.1.0");
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    this.allowByDefault = config.optionalString("default", "deny") == "allow";
    const rules = config.objectList("rules");
    if (rules.length == 0) {
      config.invalid("rules", "must list at least one rule");
      return;
    }
    for (let i = 0; i < rules.length && config.ok; i++) this.rules.push(this.readRule(rules[i]));
  }

  private readRule(rule: Config): Rule {
    const allow = rule.requireString("effect") == "allow";
    if (allow && rule.has("code")) rule.invalid("code", "only deny rules carry a code");
    const conditions = new Array<string>();
    const when = rule.optionalString("when", "");
    if (when != "") conditions.push("(" + when + ")");
    const roles = rule.optionalStringList("roles");
    if (roles.length > 0) conditions.push(rolesCondition(roles));
    const scopes = rule.optionalStringList("scopes");
    if (scopes.length > 0) conditions.push(scopesCondition(scopes));
    let condition = NO_EXPRESSION;
    if (conditions.length > 0) {
      const compiled = Expression.compile(conditions.join(" && "));
      if (compiled.isOk) condition = <i64>compiled.ok;
      else rule.invalid(when != "" ? "when" : roles.length > 0 ? "roles" : "scopes", "is not a valid CEL condition: " + invalidReason(compiled.err));
    }
    return new Rule(allow, rule.optionalStringList("methods"), condition, rule.optionalString("code", "ACCESS_DENIED"));
  }

  onRequest(request: Request): Decision {
    const method = request.method.toUpperCase();
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (rule.methods.length > 0 && !rule.methods.includes(method)) continue;
      if (rule.condition != NO_EXPRESSION) {
        const result = Expression.evaluate(<u32>rule.condition);
        // Fail closed: a condition that cannot be evaluated (a missing key without has()) denies.
        if (!result.isOk) return deny("RULE_FAILED", "an authorization rule could not be evaluated");
        if (result.ok != "true") continue;
      }
      return rule.allow ? Decision.next() : deny(rule.code, "access denied by rule " + i.toString());
    }
    return this.allowByDefault ? Decision.next() : deny("NO_MATCHING_RULE", "no rule allows this request");
  }
}

function invalidReason(error: ExpressionError | null): string {
  if (error === null) return "unknown error";
  const reason = error.invalidValue;
  return reason !== null ? reason : "unknown error";
}

function deny(code: string, message: string): Decision {
  return Decision.respondJson(403, JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message)));
}

register(new Authorize());
