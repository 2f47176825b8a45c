// Typed access to a policy's configuration, parsed once in `init`. AssemblyScript
// cannot catch exceptions, so a missing or mistyped value is recorded (the first
// one wins) and `init` reports it to the operator as a typed config error.
import { JsonKind, JsonValue } from "./json";

/** The first problem found in a configuration, shared by a Config and its nested objects. */
export class ConfigProblem {
  /** JSON Pointer of the invalid field ("" for the whole document). */
  path: string = "";
  message: string = "";
  /** True when the environment cannot serve the configuration (rather than a bad value). */
  unsupported: bool = false;
}

/** A policy's `with:` block as `configure` reads it: typed getters that record the first problem for `init` to report. */
export class Config {
  constructor(
    public readonly json: JsonValue,
    public readonly path: string = "",
    public readonly problem: ConfigProblem = new ConfigProblem(),
  ) {}

  get ok(): bool {
    return this.problem.message == "";
  }

  /** Records an invalid value at `key` (relative to this object); the first problem wins. */
  invalid(key: string, message: string): void {
    this.invalidAt(escapePointer(key), message);
  }

  /** Like `invalid`, for a JSON Pointer already escaped (e.g. `allow/3` for an item of a list). */
  invalidAt(pointer: string, message: string): void {
    if (!this.ok) return;
    this.problem.path = this.path + "/" + pointer;
    this.problem.message = message;
  }

  /** Records that the configuration needs something the environment cannot give. */
  unsupported(reason: string): void {
    if (!this.ok) return;
    this.problem.message = reason;
    this.problem.unsupported = true;
  }

  has(key: string): bool {
    return this.json.has(key);
  }

  private typed(key: string, kind: JsonKind, required: bool, expected: string): JsonValue | null {
    const value = this.json.get(key);
    if (value === null || value.isNull) {
      if (required) this.invalid(key, "is required (" + expected + ")");
      return null;
    }
    if (value.kind != kind) {
      this.invalid(key, "must be " + expected);
      return null;
    }
    return value;
  }

  requireString(key: string): string {
    const value = this.typed(key, JsonKind.String, true, "a string");
    return value === null ? "" : value.stringValue;
  }

  optionalString(key: string, fallback: string): string {
    const value = this.typed(key, JsonKind.String, false, "a string");
    return value === null ? fallback : value.stringValue;
  }

  requireNumber(key: string): f64 {
    const value = this.typed(key, JsonKind.Number, true, "a number");
    return value === null ? 0 : value.numberValue;
  }

  optionalNumber(key: string, fallback: f64): f64 {
    const value = this.typed(key, JsonKind.Number, false, "a number");
    return value === null ? fallback : value.numberValue;
  }

  /** An integer in [min, max]. */
  optionalInteger(key: string, fallback: i64, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    const value = this.typed(key, JsonKind.Number, false, "an integer");
    if (value === null) return fallback;
    const n = value.numberValue;
    if (n != Math.trunc(n) || n < <f64>min || n > <f64>max) {
      this.invalid(key, "must be an integer from " + min.toString() + " to " + max.toString());
      return fallback;
    }
    return <i64>n;
  }

  requireInteger(key: string, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    if (this.typed(key, JsonKind.Number, true, "an integer") === null) return 0;
    return this.optionalInteger(key, 0, min, max);
  }

  optionalBool(key: string, fallback: bool): bool {
    const value = this.typed(key, JsonKind.Bool, false, "true or false");
    return value === null ? fallback : value.boolValue;
  }

  optionalStringList(key: string): Array<string> {
    const out = new Array<string>();
    const value = this.typed(key, JsonKind.Array, false, "a list of strings");
    if (value === null) return out;
    for (let i = 0; i < value.length; i++) {
      const item = value.at(i);
      if (!item.isString) {
        this.invalidAt(escapePointer(key) + "/" + i.toString(), "must be a string");
        return out;
      }
      out.push(item.stringValue);
    }
    return out;
  }

  /**
   * The objects of a list, each a Config whose problems carry the full path (`/keys/2/consumer`);
   * empty when absent. An item that is not an object is recorded as invalid and left out.
   */
  objectList(key: string): Array<Config> {
    const out = new Array<Config>();
    const value = this.typed(key, JsonKind.Array, false, "a list of objects");
    if (value === null) return out;
    const base = escapePointer(key);
    for (let i = 0; i < value.length; i++) {
      const item = value.at(i);
      if (!item.isObject) this.invalidAt(base + "/" + i.toString(), "must be an object");
      else out.push(new Config(item, this.path + "/" + base + "/" + i.toString(), this.problem));
    }
    return out;
  }

  /** A nested object as a Config whose problems carry the full path; empty when absent. */
  object(key: string): Config {
    const value = this.typed(key, JsonKind.Object, false, "an object");
    return new Config(value === null ? JsonValue.object() : value, this.path + "/" + key, this.problem);
  }
}

/** A key as a JSON Pointer segment. */
function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}
