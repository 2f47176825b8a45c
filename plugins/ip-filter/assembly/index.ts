// ip-filter: allows or denies a request by its client address against CIDR lists, IPv4 and
// IPv6. The address is the socket peer's, or taken from X-Forwarded-For through trusted proxies.
import { Config, Decision, JsonValue, Policy, register, Request } from "@portcullis/sdk";
import { clientAddress, readRanges } from "./client-address";
import { CidrRange, inAnyRange } from "./ip-address";

const RANGE_LIST = `{ "type": "array", "items": { "type": "string", "minLength": 1 } }`;

const SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "allow": ${RANGE_LIST},
    "deny": ${RANGE_LIST},
    "trustedProxies": ${RANGE_LIST}
  },
  "anyOf": [ { "required": ["allow"] }, { "required": ["deny"] } ],
  "additionalProperties": false
}`;

class IpFilter extends Policy {
  allow: Array<CidrRange> = [];
  deny: Array<CidrRange> = [];
  trustedProxies: Array<CidrRange> = [];

  constructor() {
    super("ip-filter", "0.1.0");
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    this.allow = readRanges(config, "allow");
    this.deny = readRanges(config, "deny");
    this.trustedProxies = readRanges(config, "trustedProxies");
    if (!config.has("allow") && !config.has("deny")) config.invalid("allow", "give an allow list, a deny list, or both");
  }

  onRequest(request: Request): Decision {
    const address = clientAddress(request, this.trustedProxies);
    if (address === null) return reject(400, "CLIENT_ADDRESS_MALFORMED", "the client address or X-Forwarded-For is not a valid IP address list");
    if (inAnyRange(address, this.deny)) return reject(403, "IP_DENIED", "the client address is denied");
    if (this.allow.length > 0 && !inAnyRange(address, this.allow)) return reject(403, "IP_NOT_ALLOWED", "the client address is not allowed");
    return Decision.next();
  }
}

function reject(status: i32, code: string, message: string): Decision {
  return Decision.respondJson(status, JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message)));
}

register(new IpFilter());
