// A configured value that is a literal string (where the gateway has already substituted `${env.NAME}`)
// or `{ expression: "<CEL>" }`, compiled once when the configuration loads and evaluated per request.
import { Expression } from "./capabilities";
import { Config } from "./config";
import { JsonValue } from "./json";

/** A configuration value that is either a literal or a CEL expression evaluated per request. */
export class DynamicValue {
  private constructor(public readonly literal: string, private readonly expression: i64) {}

  static fromLiteral(text: string): DynamicValue {
    return new DynamicValue(text, -1);
  }

  /**
   * Reads `key` of `config`: a string, or an object with one string member `expression`. Null when
   * absent or invalid (the problem is recorded in `config`, naming `key` or `key/expression`).
   */
  static read(config: Config, key: string): DynamicValue | null {
    const spec = config.json.get(key);
    if (spec === null) return null;
    if (spec.isString) return DynamicValue.fromLiteral(spec.stringValue);
    const object = config.object(key);
    const source = object.requireString("expression");
    if (!config.ok) return null;
    const compiled = Expression.compile(source);
    if (!compiled.isOk) {
      object.invalid("expression", compiled.err!.invalidValue!);
      return null;
    }
    return new DynamicValue("", <i64>compiled.ok);
  }

  get isLiteral(): bool {
    return this.expression < 0;
  }

  /** The literal as a JSON string, or the expression's result; null for a `null` result or an evaluation error. */
  evaluate(): JsonValue | null {
    if (this.isLiteral) return JsonValue.string(this.literal);
    const result = Expression.evaluate(<u32>this.expression);
    if (!result.isOk) return null;
    const json = JsonValue.parse(result.ok!);
    return json === null || json.isNull ? null : json;
  }

  /** Like `evaluate`, as text: a string as it is, any other JSON value as compact JSON. */
  evaluateText(): string | null {
    const json = this.evaluate();
    if (json === null) return null;
    return json.isString ? json.stringValue : json.toString();
  }
}
