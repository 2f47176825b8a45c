// ip-filter: allows or denies a request by its client address against CIDR lists, IPv4 and
// IPv6. The address is the socket peer's, or taken from X-Forwarded-For through trusted proxies.
import { CidrList, Config, Decision, IpAddress, JsonValue, Policy, register, Request } from "@portcullis/sdk";

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
  allow: CidrList = new CidrList();
  deny: CidrList = new CidrList();
  trustedProxies: CidrList = new CidrList();

  constructor() {
    super("ip-filter", "0.1.0");
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    this.allow = CidrList.read(config, "allow");
    this.deny = CidrList.read(config, "deny");
    this.trustedProxies = CidrList.read(config, "trustedProxies");
    if (!config.has("allow") && !config.has("deny")) config.invalid("allow", "give an allow list, a deny list, or both");
  }

  onRequest(request: Request): Decision {
    const address = IpAddress.ofClient(request, this.trustedProxies);
    if (address === null) return reject(400, "CLIENT_ADDRESS_MALFORMED", "the client address or X-Forwarded-For is not a valid IP address list");
    if (this.deny.contains(address)) return reject(403, "IP_DENIED", "the client address is denied");
    if (this.allow.length > 0 && !this.allow.contains(address)) return reject(403, "IP_NOT_ALLOWED", "the client address is not allowed");
    return Decision.next();
  }
}

function reject(status: i32, code: string, message: string): Decision {
  return Decision.respondJson(status, JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message)));
}

register(new IpFilter());
