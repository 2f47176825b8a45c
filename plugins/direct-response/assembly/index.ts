// direct-response: answers in the request flow without calling the upstream, with a configured
// status, headers and a text or JSON body. Header values and the body may be CEL expressions over
// the request (mocks that echo the path, maintenance pages naming the route).
import { Config, Decision, DynamicValue, JsonValue, Policy, register, Request, Wire } from "@portcullis/sdk";
import { CONFIG_SCHEMA } from "./schema";

class HeaderField {
  constructor(public name: string, public value: DynamicValue) {}
}

const JSON_TYPE = "application/json";
const TEXT_TYPE = "text/plain; charset=utf-8";

class DirectResponse extends Policy {
  status: i32 = 200;
  headers: Array<HeaderField> = [];
  body: DynamicValue | null = null;
  /** The `json` option, already serialised. */
  json: string | null = null;

  constructor() {
    super("direct-response", "1.0.0");
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    this.status = <i32>config.optionalInteger("status", 200, 200, 599);
    this.headers = readHeaders(config.object("headers"));
    this.body = DynamicValue.read(config, "body");
    const json = config.json.get("json");
    this.json = json === null ? null : json.toString();
    if (this.body !== null && this.json !== null) config.invalid("json", "cannot be combined with body");
    if ((this.status == 204 || this.status == 304) && (this.body !== null || this.json !== null)) {
      config.invalid("status", "is " + this.status.toString() + ", which has no body; remove body/json");
    }
  }

  onRequest(request: Request): Decision {
    const decision = this.respondWithBody();
    for (let i = 0; i < this.headers.length; i++) {
      const field = this.headers[i];
      const text = field.value.evaluateText();
      if (text === null) continue;
      if (!Wire.isValidHeaderValue(text)) {
        return Decision.respondJson(
          400,
          JsonValue.object().set("code", JsonValue.string("HEADER_VALUE_INVALID")).set("header", JsonValue.string(field.name)),
        );
      }
      decision.setHeader(field.name, text);
    }
    return decision;
  }

  /** The status with the body and its default content type (a configured content-type header replaces it). */
  private respondWithBody(): Decision {
    const json = this.json;
    if (json !== null) return Decision.respond(this.status).setBodyText(json).setHeader("content-type", JSON_TYPE);
    const body = this.body;
    if (body === null) return Decision.respond(this.status);
    const value = body.evaluate();
    if (value === null) return Decision.respond(this.status);
    return Decision.respond(this.status)
      .setBodyText(value.isString ? value.stringValue : value.toString())
      .setHeader("content-type", value.isString ? TEXT_TYPE : JSON_TYPE);
  }
}

/** `name: "literal"` or `name: { expression: "CEL" }`; names are HTTP tokens the gateway does not manage. */
function readHeaders(config: Config): Array<HeaderField> {
  const fields = new Array<HeaderField>();
  const keys = config.json.keys;
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i];
    if (!Wire.isToken(name)) {
      config.invalid(name, "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)");
      return fields;
    }
    if (Wire.isFramingHeader(name)) {
      config.invalid(name, "frames the message or the connection; the gateway manages it");
      return fields;
    }
    const value = DynamicValue.read(config, name);
    if (value === null) return fields;
    if (value.isLiteral && !Wire.isValidHeaderValue(value.literal)) {
      config.invalid(name, "has a character that is invalid in a header value (CR, LF or another control character)");
      return fields;
    }
    fields.push(new HeaderField(name.toLowerCase(), value));
  }
  return fields;
}

register(new DirectResponse());
