// jwt: verifies a JSON Web Token (JWS compact form) from a header, checks its registered claims and
// exposes the claims to later policies as metadata `jwt`. Keys are inline JWKs, a JWKS file or a
// JWKS URL; every signature check is done by the host's crypto capability.
import { Clock, Config, Decision, Files, JsonValue, Policy, register, Request } from "@portcullis/sdk";
import { ALGORITHMS, hmacHash, Jwk, jwkFrom, keysOfJwks, verify, Verification } from "./keys";
import { RemoteJwks } from "./remote-jwks";
import { claimProblem, parseToken } from "./token";
import { SCHEMA } from "./schema";

class ClaimHeader {
  constructor(public readonly claim: string, public readonly header: string) {}
}

class Jwt extends Policy {
  algorithms: string[] = [];
  keys: Jwk[] = [];
  remote: RemoteJwks | null = null;
  issuers: string[] = [];
  audiences: string[] = [];
  requiredClaims: string[] = [];
  skewSeconds: f64 = 60;
  header: string = "authorization";
  scheme: string = "bearer";
  keepToken: bool = false;
  claimHeaders: ClaimHeader[] = [];
  realm: string = "api";

  constructor() {
    super("jwt", "0.1.0");
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    this.algorithms = config.optionalStringList("algorithms");
    for (let i = 0; i < this.algorithms.length; i++) {
      if (!ALGORITHMS.includes(this.algorithms[i])) config.invalidAt("algorithms/" + i.toString(), "not a supported algorithm");
    }
    this.issuers = stringOrList(config, "issuer");
    this.audiences = stringOrList(config, "audience");
    this.requiredClaims = config.optionalStringList("requiredClaims");
    this.skewSeconds = <f64>config.optionalInteger("clockSkewSeconds", 60, 0, 3600);
    this.header = config.optionalString("header", "authorization").toLowerCase();
    this.scheme = config.optionalString("scheme", this.header == "authorization" ? "Bearer" : "").toLowerCase();
    this.keepToken = config.optionalBool("keepToken", false);
    this.realm = config.optionalString("realm", "api");
    const mapping = config.json.get("claimsToHeaders");
    if (mapping !== null && mapping.isObject) {
      const names = mapping.keys;
      for (let i = 0; i < names.length; i++) {
        this.claimHeaders.push(new ClaimHeader(names[i], mapping.get(names[i])!.stringValue.toLowerCase()));
      }
    }
    this.readKeys(config);
  }

  private readKeys(config: Config): void {
    const sources = (config.has("keys") ? 1 : 0) + (config.has("jwksFile") ? 1 : 0) + (config.has("jwksUrl") ? 1 : 0);
    if (sources != 1) {
      config.invalid("keys", "give exactly one of keys, jwksFile and jwksUrl");
      return;
    }
    if (config.has("jwksUrl")) {
      const cache = config.object("jwksCache");
      this.remote = new RemoteJwks(
        config.requireString("jwksUrl"),
        <u64>cache.optionalInteger("cacheSeconds", 300, 1, 86400) * 1000,
        <u64>cache.optionalInteger("refreshCooldownSeconds", 30, 0, 3600) * 1000,
        <u64>cache.optionalInteger("maxStaleSeconds", 86400, 0, 604800) * 1000,
        <u32>cache.optionalInteger("timeoutMs", 2000, 100, 30000),
      );
      return;
    }
    if (config.has("jwksFile")) {
      const path = config.requireString("jwksFile");
      const read = Files.read(path);
      const bytes = read.ok;
      const keys = read.isOk && bytes !== null ? keysOfJwks(String.UTF8.decode(bytes.buffer)) : null;
      if (keys === null) config.invalid("jwksFile", "cannot read a JWKS from " + path + " (grant it under capabilities.files.allow)");
      else this.keys = keys;
      return;
    }
    const list = config.json.get("keys")!;
    for (let i = 0; i < list.length; i++) {
      const problem = new Array<string>();
      const key = jwkFrom(list.at(i), problem);
      if (key === null) {
        config.invalidAt("keys/" + i.toString(), problem[0]);
        return;
      }
      const secret = key.secret;
      const alg = key.alg;
      // RFC 7518 section 3.2: an HMAC key at least as long as the hash output.
      const minimum = alg !== null && hmacHash(alg) >= 0 ? I32.parseInt(alg.substring(2)) / 8 : 0;
      if (secret !== null && secret.length < minimum) {
        config.invalidAt("keys/" + i.toString(), "an " + alg! + " secret needs at least " + minimum.toString() + " bytes");
        return;
      }
      this.keys.push(key);
    }
  }

  onRequest(request: Request): Decision {
    const raw = this.presentedToken(request);
    if (raw === null) return this.reject(401, "JWT_MALFORMED", "the credential is not a " + this.scheme + " token");
    if (raw == "") return this.reject(401, "JWT_MISSING", "a bearer token is required");
    const token = parseToken(raw);
    if (token === null) return this.reject(401, "JWT_MALFORMED", "the token is not a well-formed JWT");
    if (!this.algorithms.includes(token.alg)) return this.reject(401, "JWT_ALG_NOT_ALLOWED", "the token's algorithm is not accepted");

    let keys = this.currentKeys(false);
    if (keys === null) return this.reject(503, "JWT_KEYS_UNAVAILABLE", "the verification keys cannot be loaded");
    let outcome = verify(keys, token.alg, token.kid, token.signingInput, token.signature);
    const remote = this.remote;
    if (outcome == Verification.UnknownKey && remote !== null) {
      keys = remote.keys(true);
      if (keys !== null) outcome = verify(keys, token.alg, token.kid, token.signingInput, token.signature);
    }
    if (outcome == Verification.UnknownKey) return this.reject(401, "JWT_KEY_UNKNOWN", "no key matches the token");
    if (outcome == Verification.KeyMismatch) return this.reject(401, "JWT_KEY_MISMATCH", "the token's algorithm does not fit its key");
    if (outcome == Verification.BadSignature) return this.reject(401, "JWT_SIGNATURE_INVALID", "the token's signature is not valid");

    const nowSeconds = <f64>Clock.nowMs() / 1000;
    const problem = claimProblem(token.claims, nowSeconds, this.skewSeconds, this.issuers, this.audiences, this.requiredClaims);
    if (problem != "") return this.reject(401, problem, "the token's claims are not accepted");

    const decision = Decision.next().setMetadata("jwt", token.claims);
    for (let i = 0; i < this.claimHeaders.length; i++) {
      const mapping = this.claimHeaders[i];
      const value = token.claims.get(mapping.claim);
      // A client-sent header of the same name never reaches the upstream.
      if (value === null) decision.removeHeader(mapping.header);
      else decision.setHeader(mapping.header, value.isString ? value.stringValue : value.toString());
    }
    if (!this.keepToken) decision.removeHeader(this.header);
    return decision;
  }

  private currentKeys(refresh: bool): Jwk[] | null {
    const remote = this.remote;
    return remote === null ? this.keys : remote.keys(refresh);
  }

  /** The token, "" when absent, null when the header does not carry the configured scheme. */
  private presentedToken(request: Request): string | null {
    const value = request.headers.get(this.header);
    if (value === null) return "";
    const text = value.trim();
    if (text == "" || this.scheme == "") return text;
    const space = text.indexOf(" ");
    if (space < 0 || text.substring(0, space).toLowerCase() != this.scheme) return null;
    return text.substring(space + 1).trim();
  }

  private reject(status: i32, code: string, message: string): Decision {
    const body = JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message));
    let challenge = 'Bearer realm="' + this.realm + '"';
    if (code != "JWT_MISSING" && status == 401) challenge += ', error="invalid_token"';
    return Decision.respondJson(status, body).setHeader("www-authenticate", challenge);
  }
}

function stringOrList(config: Config, key: string): string[] {
  const value = config.json.get(key);
  if (value === null) return [];
  if (value.isString) return [value.stringValue];
  return config.optionalStringList(key);
}

register(new Jwt());
