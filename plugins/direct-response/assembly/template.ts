// A configured value that is a literal string or `{ expression: "<CEL>" }` (compiled once at load,
// evaluated per request). Shared by direct-response and redirect.
import { Config, Expression, JsonValue } from "@portcullis/sdk";

export class Template {
  constructor(public literal: string, public expression: i32) {}

  /** Reads `key` of `config` (a string or `{ expression }`); null when absent or invalid (recorded in `config`). */
  static read(config: Config, key: string): Template | null {
    const spec = config.json.get(key);
    if (spec === null) return null;
    if (spec.isString) return new Template(spec.stringValue, -1);
    const source = config.object(key).requireString("expression");
    if (!config.ok) return null;
    const compiled = Expression.compile(source);
    if (!compiled.isOk) {
      config.object(key).invalid("expression", compiled.err!.invalidValue!);
      return null;
    }
    return new Template("", <i32>compiled.ok);
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
}

/** A string as it is; any other JSON value as its compact JSON text. */
export function textOf(json: JsonValue): string {
  return json.isString ? json.stringValue : json.toString();
}
