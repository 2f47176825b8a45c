// json-fault: in the fault flow, replaces the body of every gateway error with one JSON shape
// (code, message, status, request id; names configurable; `details` in debug mode). The status and
// the other headers of the error response (WWW-Authenticate, Retry-After, RateLimit-*) are kept.
import { Config, Decision, Fault, FaultKind, Flow, JsonValue, Policy, register } from "@portcullis/sdk";
import { CONFIG_SCHEMA } from "./schema";

const FIELDS = ["code", "message", "status", "requestId"];
/** A text rejection body longer than this is not used as the message. */
const MAX_TEXT_MESSAGE = 512;

class JsonFault extends Policy {
  /** Output key of each of FIELDS, "" when the field is left out. */
  keys: Array<string> = FIELDS.slice();
  envelope: string = "";
  debug: bool = false;
  contentType: string = "application/json";

  constructor() {
    super("json-fault", "1.0.0");
    this.flows = [Flow.Fault];
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    this.envelope = config.optionalString("envelope", "");
    this.debug = config.optionalBool("debug", false);
    this.contentType = config.optionalString("contentType", "application/json");
    if (this.contentType != "application/json" && this.contentType != "application/problem+json") {
      config.invalid("contentType", "must be application/json or application/problem+json");
    }
    this.keys = FIELDS.slice();
    if (!config.has("fields")) return;
    const fields = config.object("fields");
    for (let i = 0; i < FIELDS.length; i++) {
      const key = fields.optionalString(FIELDS[i], "");
      if (key != "" && this.keys.slice(0, i).includes(key)) fields.invalid(FIELDS[i], `uses the key "${key}" of another field`);
      if (key == "details" && this.debug) fields.invalid(FIELDS[i], `"details" is the debug mode's key`);
      this.keys[i] = key;
    }
  }

  onFault(fault: Fault): Decision {
    const original = parseObject(fault.body);
    const values = [
      JsonValue.string(stringMember(original, "code", fault.code)),
      JsonValue.string(messageOf(fault, original)),
      JsonValue.number(<f64>fault.status),
      JsonValue.string(fault.request.requestId),
    ];
    let body = JsonValue.object();
    for (let i = 0; i < FIELDS.length; i++) if (this.keys[i] != "") body.set(this.keys[i], values[i]);
    if (this.debug) body.set("details", details(fault));
    if (this.envelope != "") body = JsonValue.object().set(this.envelope, body);
    return Decision.next().setHeader("content-type", this.contentType).setBodyText(body.toString());
  }
}

function parseObject(body: Uint8Array): JsonValue | null {
  if (body.length == 0) return null;
  const json = JsonValue.parse(String.UTF8.decode(body.buffer));
  return json !== null && json.isObject ? json : null;
}

function stringMember(object: JsonValue | null, key: string, fallback: string): string {
  if (object === null) return fallback;
  const value = object.get(key);
  return value !== null && value.isString && value.stringValue.length > 0 ? value.stringValue : fallback;
}

/** A rejecting policy's own message (JSON `message`, or a short text body) wins over the gateway's. */
function messageOf(fault: Fault, original: JsonValue | null): string {
  if (original !== null) return stringMember(original, "message", fault.message);
  if (fault.kind != FaultKind.PolicyRejected || fault.body.length == 0) return fault.message;
  const text = String.UTF8.decode(fault.body.buffer).trim();
  return text.length > 0 && text.length <= MAX_TEXT_MESSAGE ? text : fault.message;
}

const KINDS = [
  "policy-rejected", "policy-failed", "policy-trapped", "policy-timeout",
  "upstream-unreachable", "upstream-timeout", "upstream-error", "gateway-rejected",
];

function details(fault: Fault): JsonValue {
  const policy = fault.policy;
  return JsonValue.object()
    .set("kind", JsonValue.string(KINDS[<i32>fault.kind]))
    .set("gatewayCode", JsonValue.string(fault.code))
    .set("gatewayMessage", JsonValue.string(fault.message))
    .set("policy", policy === null ? JsonValue.null() : JsonValue.string(policy));
}

register(new JsonFault());
