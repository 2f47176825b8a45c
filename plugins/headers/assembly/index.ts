// headers: removes, sets and appends header fields of the request (request flow) or of the response
// (response flow). Values are literals (`${env.NAME}` is substituted by the gateway at load) or CEL
// expressions evaluated per request. Names and values that would be invalid on the wire are refused:
// literals at load, expression results per request (400 HEADER_VALUE_INVALID).
import { Config, Decision, DynamicValue, Flow, JsonValue, Policy, register, Request, Response, Wire } from "@portcullis/sdk";
import { CONFIG_SCHEMA } from "./schema";

class Field {
  constructor(public name: string, public value: DynamicValue) {}
}

class Headers extends Policy {
  remove: Array<string> = [];
  set: Array<Field> = [];
  append: Array<Field> = [];

  constructor() {
    super("headers", "1.0.0");
    this.flows = [Flow.Request, Flow.Response];
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    const remove = config.optionalStringList("remove");
    const removeItems = new Config(JsonValue.array(), config.path + "/remove", config.problem);
    this.remove = [];
    for (let i = 0; i < remove.length; i++) {
      if (!checkName(removeItems, i.toString(), remove[i])) return;
      this.remove.push(remove[i].toLowerCase());
    }
    this.set = readFields(config.object("set"));
    this.append = readFields(config.object("append"));
  }

  onRequest(request: Request): Decision {
    return this.edit(Decision.next());
  }

  onResponse(response: Response): Decision {
    return this.edit(Decision.next());
  }

  /** Removes first, then sets, then appends, each in the order configured. */
  private edit(decision: Decision): Decision {
    for (let i = 0; i < this.remove.length; i++) decision.removeHeader(this.remove[i]);
    for (let pass = 0; pass < 2; pass++) {
      const fields = pass == 0 ? this.set : this.append;
      for (let i = 0; i < fields.length; i++) {
        const field = fields[i];
        const value = field.value.evaluateText();
        if (value === null) continue;
        if (!Wire.isValidHeaderValue(value)) {
          return Decision.respondJson(
            400,
            JsonValue.object().set("code", JsonValue.string("HEADER_VALUE_INVALID")).set("header", JsonValue.string(field.name)),
          );
        }
        if (pass == 0) decision.setHeader(field.name, value);
        else decision.appendHeader(field.name, value);
      }
    }
    return decision;
  }
}

function checkName(config: Config, key: string, name: string): bool {
  if (!Wire.isToken(name)) {
    config.invalid(key, "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)");
    return false;
  }
  if (Wire.isFramingHeader(name)) {
    config.invalid(key, "frames the message or the connection; the gateway manages it");
    return false;
  }
  return true;
}

/** `name: "literal"` or `name: { expression: "CEL" }` (compiled once, here). */
function readFields(config: Config): Array<Field> {
  const fields = new Array<Field>();
  const keys = config.json.keys;
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i];
    if (!checkName(config, name, name)) return fields;
    const value = DynamicValue.read(config, name);
    if (value === null) return fields;
    if (value.isLiteral && !Wire.isValidHeaderValue(value.literal)) {
      config.invalid(name, "has a character that is invalid in a header value (CR, LF or another control character)");
      return fields;
    }
    fields.push(new Field(name.toLowerCase(), value));
  }
  return fields;
}

register(new Headers());
