// One identity provider: its issuer, its keys (inline, a JWKS file or a JWKS URL), the algorithms,
// audiences and claims it accepts, and the claims it copies to upstream headers. The single-provider
// configuration is read by the same code from the top level.
import { Config, JsonValue } from "@portcullis/sdk";
import { FileJwks } from "./file-jwks";
import { hmacHash, InlineKeys, Jwk, jwkFrom, KeySource, verify, Verification } from "./keys";
import { RemoteJwks } from "./remote-jwks";
import { claimProblem, Token } from "./token";

export class ClaimHeader {
  constructor(public readonly claim: string, public readonly header: string) {}
}

/**
 * Why a provider refused a token. `rank` orders failures by how far the token got, so that with
 * several providers the most specific one is reported: a token whose signature verified but which
 * expired says more than another provider not knowing its key.
 */
export class Failure {
  constructor(public readonly status: i32, public readonly code: string, public readonly message: string, public readonly rank: i32) {}
}

const ALG_REFUSED = new Failure(401, "JWT_ALG_NOT_ALLOWED", "the token's algorithm is not accepted", 0);
const KEY_UNKNOWN = new Failure(401, "JWT_KEY_UNKNOWN", "no key matches the token", 1);
const KEYS_UNAVAILABLE = new Failure(503, "JWT_KEYS_UNAVAILABLE", "the verification keys cannot be loaded", 2);
const KEY_MISMATCH = new Failure(401, "JWT_KEY_MISMATCH", "the token's algorithm does not fit its key", 3);
const SIGNATURE_INVALID = new Failure(401, "JWT_SIGNATURE_INVALID", "the token's signature is not valid", 4);
const CLAIMS_RANK = 5;

function stringOrList(config: Config, key: string): string[] {
  const value = config.json.get(key);
  if (value === null) return [];
  if (value.isString) return [value.stringValue];
  return config.optionalStringList(key);
}

export class Provider {
  algorithms: string[] = [];
  issuers: string[] = [];
  audiences: string[] = [];
  requiredClaims: string[] = [];
  claimHeaders: ClaimHeader[] = [];
  source: KeySource = new InlineKeys([]);

  /** Reads a provider from `config`; `accepted` are the policy's algorithms, which a provider may narrow. */
  static read(config: Config, accepted: string[]): Provider {
    const provider = new Provider();
    provider.algorithms = config.has("algorithms") ? config.optionalStringList("algorithms") : accepted;
    for (let i = 0; i < provider.algorithms.length; i++) {
      if (!accepted.includes(provider.algorithms[i])) config.invalidAt("algorithms/" + i.toString(), "is not among the policy's algorithms");
    }
    provider.issuers = stringOrList(config, "issuer");
    provider.audiences = stringOrList(config, "audience");
    provider.requiredClaims = config.optionalStringList("requiredClaims");
    const mapping = config.json.get("claimsToHeaders");
    if (mapping !== null && mapping.isObject) {
      const names = mapping.keys;
      for (let i = 0; i < names.length; i++) {
        provider.claimHeaders.push(new ClaimHeader(names[i], mapping.get(names[i])!.stringValue.toLowerCase()));
      }
    }
    provider.readKeys(config);
    return provider;
  }

  private readKeys(config: Config): void {
    const sources = (config.has("keys") ? 1 : 0) + (config.has("jwksFile") ? 1 : 0) + (config.has("jwksUrl") ? 1 : 0);
    if (sources != 1) {
      config.invalid("keys", "give exactly one of keys, jwksFile and jwksUrl");
      return;
    }
    const cache = config.object("jwksCache");
    const cacheMs = <u64>cache.optionalInteger("cacheSeconds", 300, 1, 86400) * 1000;
    const cooldownMs = <u64>cache.optionalInteger("refreshCooldownSeconds", 30, 0, 3600) * 1000;
    if (config.has("jwksUrl")) {
      const maxStaleMs = <u64>cache.optionalInteger("maxStaleSeconds", 86400, 0, 604800) * 1000;
      const timeoutMs = <u32>cache.optionalInteger("timeoutMs", 2000, 100, 30000);
      this.source = new RemoteJwks(config.requireString("jwksUrl"), cacheMs, cooldownMs, maxStaleMs, timeoutMs);
      return;
    }
    if (config.has("jwksFile")) {
      const path = config.requireString("jwksFile");
      const file = FileJwks.open(path, cacheMs, cooldownMs);
      if (file === null) config.invalid("jwksFile", "cannot read a JWKS from " + path + " (grant it under capabilities.files.allow)");
      else this.source = file;
      return;
    }
    const list = config.json.get("keys")!;
    const keys = new Array<Jwk>();
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
      keys.push(key);
    }
    this.source = new InlineKeys(keys);
  }

  /** Null when `token` verifies with this provider's keys and its claims pass; else why not. */
  check(token: Token, nowSeconds: f64, skewSeconds: f64): Failure | null {
    if (!this.algorithms.includes(token.alg)) return ALG_REFUSED;
    let keys = this.source.keys(false);
    if (keys === null) return KEYS_UNAVAILABLE;
    let outcome = verify(keys, token.alg, token.kid, token.signingInput, token.signature);
    if (outcome == Verification.UnknownKey && this.source.refreshable) {
      keys = this.source.keys(true);
      if (keys !== null) outcome = verify(keys, token.alg, token.kid, token.signingInput, token.signature);
    }
    if (outcome == Verification.UnknownKey) return KEY_UNKNOWN;
    if (outcome == Verification.KeyMismatch) return KEY_MISMATCH;
    if (outcome == Verification.BadSignature) return SIGNATURE_INVALID;
    const problem = claimProblem(token.claims, nowSeconds, skewSeconds, this.issuers, this.audiences, this.requiredClaims);
    return problem == "" ? null : new Failure(401, problem, "the token's claims are not accepted", CLAIMS_RANK);
  }

  /** True when the token's unverified `iss` is one of this provider's issuers (selection by issuer). */
  issues(claims: JsonValue): bool {
    const iss = claims.get("iss");
    return iss !== null && iss.isString && this.issuers.includes(iss.stringValue);
  }
}
