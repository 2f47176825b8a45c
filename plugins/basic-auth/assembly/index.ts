// basic-auth: HTTP Basic authentication (RFC 7617) against users listed in the configuration or
// read from an htpasswd file. Password hashes are checked by the host (crypto.verify-password).
import { Base64, Config, Crypto, Decision, Files, JsonValue, Policy, register, Request, Utf8 } from "@portcullis/sdk";

const SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "realm": { "type": "string", "pattern": "^[ !#-[^-~]*$", "default": "restricted" },
    "users": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "username": { "type": "string", "minLength": 1, "pattern": "^[^:]+$" },
          "hash": { "type": "string", "minLength": 1, "writeOnly": true }
        },
        "required": ["username", "hash"],
        "additionalProperties": false
      }
    },
    "htpasswdFile": { "type": "string", "minLength": 1 },
    "keepCredential": { "type": "boolean", "default": false }
  },
  "anyOf": [ { "required": ["users"] }, { "required": ["htpasswdFile"] } ],
  "additionalProperties": false
}`;

/** Longest Authorization value accepted; longer ones are refused before decoding. */
const MAX_CREDENTIAL_LENGTH = 4096;
/** Hash formats the host's verify-password supports (htpasswd -B, -s, -2/-5, -m; crypt $1$). */
const HASH_PREFIXES = ["$2y$", "$2a$", "$2b$", "{SHA}", "$5$", "$6$", "$apr1$", "$1$"];

function knownHash(hash: string): bool {
  for (let i = 0; i < HASH_PREFIXES.length; i++) if (hash.startsWith(HASH_PREFIXES[i])) return true;
  return false;
}

class BasicAuth extends Policy {
  challenge: string = "";
  keepCredential: bool = false;
  hashes: Map<string, string> = new Map<string, string>();
  /** Checked for unknown users too, so their answer takes as long as a wrong password. */
  decoyHash: string = "";

  constructor() {
    super("basic-auth", "0.1.0");
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    this.challenge = 'Basic realm="' + config.optionalString("realm", "restricted") + '", charset="UTF-8"';
    this.keepCredential = config.optionalBool("keepCredential", false);
    const users = config.objectList("users");
    for (let i = 0; i < users.length; i++) this.addUser(users[i], users[i].requireString("username"), users[i].requireString("hash"), "hash");
    const file = config.optionalString("htpasswdFile", "");
    if (file != "") this.readHtpasswd(config, file);
    if (config.ok && this.hashes.size == 0) config.invalid(file != "" ? "htpasswdFile" : "users", "lists no user");
  }

  private addUser(config: Config, username: string, hash: string, key: string): void {
    if (!knownHash(hash)) config.invalid(key, "user " + username + ": unsupported hash format (use bcrypt, {SHA}, $5$ or $6$)");
    else if (this.hashes.has(username)) config.invalid(key, "user " + username + " is listed twice");
    if (!config.ok) return;
    this.hashes.set(username, hash);
    if (this.decoyHash == "") this.decoyHash = hash;
  }

  private readHtpasswd(config: Config, path: string): void {
    const read = Files.read(path);
    const bytes = read.ok;
    if (!read.isOk || bytes === null) {
      config.unsupported("basic-auth cannot read htpasswdFile " + path + " (grant it under capabilities.files.allow)");
      return;
    }
    const lines = String.UTF8.decode(bytes.buffer).split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line == "" || line.startsWith("#")) continue;
      const colon = line.indexOf(":");
      if (colon <= 0) {
        config.invalid("htpasswdFile", "line " + (i + 1).toString() + " is not user:hash");
        return;
      }
      this.addUser(config, line.substring(0, colon), line.substring(colon + 1), "htpasswdFile");
    }
  }

  onRequest(request: Request): Decision {
    const authorization = request.headers.get("authorization");
    if (authorization === null) return this.reject("BASIC_AUTH_MISSING", "Basic credentials are required");
    const value = authorization.trim();
    if (value.length < 6 || value.substring(0, 6).toLowerCase() != "basic ") {
      return this.reject("BASIC_AUTH_MISSING", "Basic credentials are required");
    }
    if (value.length > MAX_CREDENTIAL_LENGTH) return this.reject("BASIC_AUTH_MALFORMED", "the credentials are too long");
    const decoded = Base64.decode(value.substring(6).trim());
    if (decoded === null) return this.reject("BASIC_AUTH_MALFORMED", "the credentials are not base64");
    const text = Utf8.decodeStrict(decoded);
    if (text === null) return this.reject("BASIC_AUTH_MALFORMED", "the credentials are not UTF-8");
    const colon = text.indexOf(":");
    if (colon < 0) return this.reject("BASIC_AUTH_MALFORMED", "the credentials have no user:password separator");
    const username = text.substring(0, colon);
    const known = this.hashes.has(username);
    const verified = Crypto.verifyPassword(known ? this.hashes.get(username) : this.decoyHash, text.substring(colon + 1));
    if (!verified.isOk) return Decision.internalError("basic-auth: the host refused a configured hash");
    if (!known || !verified.ok) return this.reject("BASIC_AUTH_INVALID", "the user name or password is wrong");
    const decision = Decision.next().setMetadata("consumer", JsonValue.string(username));
    if (!this.keepCredential) decision.removeHeader("authorization");
    return decision;
  }

  private reject(code: string, message: string): Decision {
    const body = JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message));
    return Decision.respondJson(401, body).setHeader("www-authenticate", this.challenge);
  }
}

register(new BasicAuth());
