// Query parameter edits on the raw query string: remove, then set, then add. Parameters that are not
// edited keep their bytes, their order and their repetitions; names are compared after decoding
// (`%20` and `+` are spaces). New values are percent-encoded (everything but A-Z a-z 0-9 - . _ ~).
import { Config, Expression, formDecode, formEncode, JsonValue } from "@portcullis/sdk";

class Parameter {
  /** `expression` is a compiled CEL handle, or -1 for `literal`. */
  constructor(public name: string, public literal: string, public expression: i32) {}
}

export class QueryEdits {
  remove: Array<string> = [];
  set: Array<Parameter> = [];
  add: Array<Parameter> = [];

  get isEmpty(): bool {
    return this.remove.length == 0 && this.set.length == 0 && this.add.length == 0;
  }

  static read(config: Config): QueryEdits {
    const edits = new QueryEdits();
    edits.remove = config.optionalStringList("remove");
    edits.set = readParameters(config.object("set"));
    edits.add = readParameters(config.object("add"));
    return edits;
  }

  /** The edited query (without `?`). A value whose expression fails or gives null is skipped. */
  apply(query: string): string {
    const parts = query == "" ? new Array<string>() : query.split("&");
    for (let i = 0; i < this.remove.length; i++) removeAll(parts, this.remove[i], -1);
    for (let i = 0; i < this.set.length; i++) {
      const parameter = this.set[i];
      const value = valueOf(parameter);
      if (value === null) continue;
      const encoded = formEncode(parameter.name) + "=" + formEncode(value);
      const first = indexOfName(parts, parameter.name, 0);
      if (first < 0) parts.push(encoded);
      else {
        parts[first] = encoded;
        removeAll(parts, parameter.name, first);
      }
    }
    for (let i = 0; i < this.add.length; i++) {
      const value = valueOf(this.add[i]);
      if (value !== null) parts.push(formEncode(this.add[i].name) + "=" + formEncode(value));
    }
    return parts.join("&");
  }
}

function readParameters(config: Config): Array<Parameter> {
  const out = new Array<Parameter>();
  const names = config.json.keys;
  for (let i = 0; i < names.length; i++) {
    const spec = config.json.get(names[i])!;
    if (spec.isString) {
      out.push(new Parameter(names[i], spec.stringValue, -1));
      continue;
    }
    const compiled = Expression.compile(config.object(names[i]).requireString("expression"));
    if (!compiled.isOk) {
      config.object(names[i]).invalid("expression", compiled.err!.invalidValue!);
      return out;
    }
    out.push(new Parameter(names[i], "", <i32>compiled.ok));
  }
  return out;
}

function valueOf(parameter: Parameter): string | null {
  if (parameter.expression < 0) return parameter.literal;
  const result = Expression.evaluate(<u32>parameter.expression);
  if (!result.isOk) return null;
  const json = JsonValue.parse(result.ok!);
  if (json === null || json.isNull) return null;
  return json.isString ? json.stringValue : json.toString();
}

/** Removes the parameters named `name`, except the one at `keep`. */
function removeAll(parts: Array<string>, name: string, keep: i32): void {
  for (let i = parts.length - 1; i >= 0; i--) {
    if (i != keep && nameOf(parts[i]) == name) parts.splice(i, 1);
  }
}

function indexOfName(parts: Array<string>, name: string, from: i32): i32 {
  for (let i = from; i < parts.length; i++) if (nameOf(parts[i]) == name) return i;
  return -1;
}

function nameOf(part: string): string {
  const equals = part.indexOf("=");
  return formDecode(equals < 0 ? part : part.substring(0, equals));
}
