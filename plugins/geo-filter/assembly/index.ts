// geo-filter: allows or denies a request by the client's country, read from a header that trusted
// proxies set (a CDN's country header) or looked up by the host in a MaxMind database (`geo`).
// The client address and the trusted-proxy walk are the SDK's (`IpAddress.ofClient`), as in ip-filter.
import { CidrList, Config, Decision, Geo, IpAddress, JsonValue, Policy, register, Request } from "@portcullis/sdk";

const COUNTRY_LIST = `{ "type": "array", "minItems": 1, "uniqueItems": true, "items": { "type": "string", "pattern": "^[A-Z]{2}$" } }`;

const SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "allow": ${COUNTRY_LIST},
    "deny": ${COUNTRY_LIST},
    "unknownCountry": { "enum": ["allow", "deny"] },
    "countryHeader": { "type": "string", "pattern": "^[A-Za-z0-9-]+$" },
    "trustedProxies": { "type": "array", "items": { "type": "string", "minLength": 1 } }
  },
  "anyOf": [ { "required": ["allow"] }, { "required": ["deny"] } ],
  "dependentRequired": { "countryHeader": ["trustedProxies"] },
  "additionalProperties": false
}`;

/** The outcome of finding the country: a code, "" when unknown, or a rejection. */
class CountryLookup {
  constructor(public readonly country: string, public readonly rejection: Decision | null = null) {}
}

class GeoFilter extends Policy {
  allow: Array<string> = [];
  deny: Array<string> = [];
  denyUnknown: bool = true;
  countryHeader: string = "";
  trustedProxies: CidrList = new CidrList();

  constructor() {
    super("geo-filter", "0.1.0");
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    this.allow = config.optionalStringList("allow");
    this.deny = config.optionalStringList("deny");
    if (this.allow.length == 0 && this.deny.length == 0) config.invalid("allow", "give an allow list, a deny list, or both");
    this.denyUnknown = config.optionalString("unknownCountry", this.allow.length > 0 ? "deny" : "allow") == "deny";
    this.countryHeader = config.optionalString("countryHeader", "").toLowerCase();
    this.trustedProxies = CidrList.read(config, "trustedProxies");
    if (this.countryHeader != "" && this.trustedProxies.length == 0) {
      config.invalid("trustedProxies", "must list the proxies that set " + this.countryHeader);
    }
    if (this.countryHeader == "" && config.ok) {
      const probe = Geo.country("127.0.0.1");
      if (!probe.isOk && probe.err!.unavailableValue !== null) config.unsupported("geo-filter needs the geo capability with a database: " + probe.err!.unavailableValue!);
    }
  }

  onRequest(request: Request): Decision {
    const lookup = this.countryHeader != "" ? this.fromHeader(request) : this.fromDatabase(request);
    const rejection = lookup.rejection;
    if (rejection !== null) return rejection;
    const country = lookup.country;
    if (country == "") {
      return this.denyUnknown ? reject(403, "COUNTRY_UNKNOWN", "the client's country is unknown") : Decision.next();
    }
    if (this.deny.includes(country)) return reject(403, "COUNTRY_DENIED", "requests from this country are denied");
    if (this.allow.length > 0 && !this.allow.includes(country)) return reject(403, "COUNTRY_NOT_ALLOWED", "requests from this country are not allowed");
    return Decision.next().setMetadata("country", JsonValue.string(country));
  }

  /** The header is believed only when the socket peer is a trusted proxy. */
  private fromHeader(request: Request): CountryLookup {
    const peer = IpAddress.parse(request.clientAddress);
    if (peer === null || !this.trustedProxies.contains(peer)) return new CountryLookup("");
    const value = request.headers.get(this.countryHeader);
    return new CountryLookup(value === null ? "" : countryCode(value.trim()));
  }

  private fromDatabase(request: Request): CountryLookup {
    const address = IpAddress.ofClient(request, this.trustedProxies);
    if (address === null) {
      return new CountryLookup("", reject(400, "CLIENT_ADDRESS_MALFORMED", "the client address or X-Forwarded-For is not a valid IP address list"));
    }
    const result = Geo.country(address.toString());
    if (!result.isOk) return new CountryLookup("", Decision.unavailable("the geo database is unavailable"));
    const found = result.ok;
    return new CountryLookup(found === null ? "" : countryCode(found));
  }
}

/** The upper-cased two-letter code, or "" for anything else and for "XX" (a CDN's "unknown"). */
function countryCode(text: string): string {
  const upper = text.toUpperCase();
  if (upper.length != 2 || upper == "XX") return "";
  for (let i = 0; i < 2; i++) {
    const code = upper.charCodeAt(i);
    if (code < 65 || code > 90) return "";
  }
  return upper;
}

function reject(status: i32, code: string, message: string): Decision {
  return Decision.respondJson(status, JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message)));
}

register(new GeoFilter());
