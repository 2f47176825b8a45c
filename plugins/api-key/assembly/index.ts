// api-key: authenticates a request by an API key taken from a header, a query parameter or a
// cookie. Keys are compared as SHA-256 digests with the host's constant-time comparison, so plain
// and hashed keys take the same path and the guest never compares secrets itself.
import { Config, Crypto, Decision, JsonValue, parseQuery, Policy, register, Request, Utf8 } from "@portcullis/sdk";

const SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "in": { "enum": ["header", "query", "cookie"], "default": "header" },
    "name": { "type": "string", "pattern": "^[A-Za-z0-9_.~-]+$", "default": "x-api-key" },
    "keepCredential": { "type": "boolean", "default": false },
    "realm": { "type": "string", "pattern": "^[ !#-[^-~]*$", "default": "api" },
    "keys": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "properties": {
          "consumer": { "type": "string", "minLength": 1 },
          "key": { "type": "string", "minLength": 1, "writeOnly": true },
          "sha256": { "type": "string", "pattern": "^[0-9a-fA-F]{64}$" },
          "tier": { "type": "string", "minLength": 1 },
          "roles": { "type": "array", "items": { "type": "string", "minLength": 1 } }
        },
        "required": ["consumer"],
        "oneOf": [ { "required": ["key"] }, { "required": ["sha256"] } ],
        "additionalProperties": false
      }
    }
  },
  "required": ["keys"],
  "additionalProperties": false
}`;

/** Lower-case hex SHA-256 of `text`, as UTF-8 bytes ready for a constant-time comparison. */
function digestOf(text: string): Uint8Array {
  return Utf8.encode(Crypto.sha256Hex(text));
}

class ApiKeyEntry {
  constructor(
    public readonly digest: Uint8Array,
    public readonly consumer: string,
    public readonly tier: string | null,
    public readonly roles: JsonValue | null,
  ) {}
}

class ApiKey extends Policy {
  place: string = "header";
  credentialName: string = "x-api-key";
  keepCredential: bool = false;
  challenge: string = "";
  keys: Array<ApiKeyEntry> = [];

  constructor() {
    super("api-key", "0.1.0");
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    this.place = config.optionalString("in", "header");
    this.credentialName = config.optionalString("name", "x-api-key");
    if (this.place == "header") this.credentialName = this.credentialName.toLowerCase();
    this.keepCredential = config.optionalBool("keepCredential", false);
    this.challenge = 'ApiKey realm="' + config.optionalString("realm", "api") + '"';
    this.readKeys(config);
  }

  private readKeys(config: Config): void {
    const entries = config.objectList("keys");
    if (entries.length == 0) {
      config.invalid("keys", "must list at least one key");
      return;
    }
    const seen = new Set<string>();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const consumer = entry.requireString("consumer");
      const plain = entry.optionalString("key", "");
      const hashed = entry.optionalString("sha256", "").toLowerCase();
      if ((plain == "") == (hashed == "")) {
        entry.invalid("key", "give exactly one of key or sha256");
        return;
      }
      const digest = plain != "" ? digestOf(plain) : Utf8.encode(hashed);
      const digestText = String.UTF8.decode(digest.buffer);
      if (seen.has(digestText)) {
        entry.invalid(plain != "" ? "key" : "sha256", "the same key is listed twice");
        return;
      }
      seen.add(digestText);
      const tier = entry.optionalString("tier", "");
      const roles = entry.json.get("roles");
      this.keys.push(new ApiKeyEntry(digest, consumer, tier == "" ? null : tier, roles));
    }
  }

  onRequest(request: Request): Decision {
    const presented = this.credential(request);
    if (presented === null) return this.reject("API_KEY_MALFORMED", "the API key parameter is encoded in a way this gateway does not accept");
    if (presented == "") return this.reject("API_KEY_MISSING", "an API key is required");
    const digest = digestOf(presented);
    let match: ApiKeyEntry | null = null;
    // Every key is compared, so the time taken does not tell which one matched.
    for (let i = 0; i < this.keys.length; i++) {
      if (Crypto.constantTimeEqual(digest, this.keys[i].digest) && match === null) match = this.keys[i];
    }
    if (match === null) return this.reject("API_KEY_INVALID", "the API key is not valid");
    const decision = Decision.next().setMetadata("consumer", JsonValue.string(match.consumer));
    const tier = match.tier;
    if (tier !== null) decision.setMetadata("tier", JsonValue.string(tier));
    const roles = match.roles;
    if (roles !== null) decision.setMetadata("roles", roles);
    if (!this.keepCredential) this.removeCredential(decision);
    return decision;
  }

  /** The presented key, "" when absent, null when the query spells the parameter name percent-encoded. */
  private credential(request: Request): string | null {
    if (this.place == "header") {
      const value = request.headers.get(this.credentialName);
      return value === null ? "" : value.trim();
    }
    if (this.place == "cookie") {
      const value = request.cookie(this.credentialName);
      return value === null ? "" : value;
    }
    // Names are limited to characters no client encodes, so an encoded spelling is someone probing
    // how the gateway and the upstream each decode the query: refuse it rather than pick a reading.
    const params = parseQuery(request.query);
    let value: string | null = null;
    for (let i = 0; i < params.length; i++) {
      const param = params[i];
      if (param.name != this.credentialName) continue;
      if (param.rawName != this.credentialName) return null;
      if (value === null) value = param.value;
    }
    return value === null ? "" : value;
  }

  private removeCredential(decision: Decision): void {
    if (this.place == "header") decision.removeHeader(this.credentialName);
    else if (this.place == "query") decision.removeQueryParam(this.credentialName);
    else decision.removeCookie(this.credentialName);
  }

  private reject(code: string, message: string): Decision {
    const body = JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message));
    return Decision.respondJson(401, body).setHeader("www-authenticate", this.challenge);
  }
}

register(new ApiKey());
