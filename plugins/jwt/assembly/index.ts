// jwt: verifies a JSON Web Token (JWS compact form) from a header, a query parameter or a cookie,
// checks its registered claims and exposes the claims to later policies as metadata `jwt`. Keys are
// inline JWKs, a JWKS file or a JWKS URL, for one provider or several (tried in order, or picked by
// the token's issuer); every signature check is done by the host's crypto capability.
import { Clock, Config, Decision, JsonValue, Policy, register, Request } from "@portcullis/sdk";
import { ALGORITHMS } from "./keys";
import { Failure, Provider } from "./provider";
import { SCHEMA } from "./schema";
import { parseToken, Token } from "./token";
import { TokenSource } from "./token-source";

class Jwt extends Policy {
  algorithms: string[] = [];
  providers: Provider[] = [];
  selectByIssuer: bool = false;
  /** Every header some provider maps a claim to: a client-sent one never reaches the upstream. */
  mappedHeaders: string[] = [];
  skewSeconds: f64 = 60;
  source: TokenSource = new TokenSource();
  keepToken: bool = false;
  realm: string = "api";

  constructor() {
    super("jwt", "0.2.0");
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    this.algorithms = config.optionalStringList("algorithms");
    for (let i = 0; i < this.algorithms.length; i++) {
      if (!ALGORITHMS.includes(this.algorithms[i])) config.invalidAt("algorithms/" + i.toString(), "not a supported algorithm");
    }
    this.skewSeconds = <f64>config.optionalInteger("clockSkewSeconds", 60, 0, 3600);
    this.source = TokenSource.read(config);
    this.keepToken = config.optionalBool("keepToken", false);
    this.realm = config.optionalString("realm", "api");
    this.selectByIssuer = config.optionalString("select", "ordered") == "issuer";
    if (config.has("providers")) this.readProviders(config);
    else this.providers.push(Provider.read(config, this.algorithms));
    for (let i = 0; i < this.providers.length; i++) {
      const mappings = this.providers[i].claimHeaders;
      for (let j = 0; j < mappings.length; j++) {
        if (!this.mappedHeaders.includes(mappings[j].header)) this.mappedHeaders.push(mappings[j].header);
      }
    }
  }

  private readProviders(config: Config): void {
    const entries = config.objectList("providers");
    if (entries.length == 0) {
      config.invalid("providers", "must list at least one provider");
      return;
    }
    const issuers = new Set<string>();
    for (let i = 0; i < entries.length && config.ok; i++) {
      const entry = entries[i];
      const provider = Provider.read(entry, this.algorithms);
      if (this.selectByIssuer) {
        if (provider.issuers.length == 0) entry.invalid("issuer", "is required when select is issuer");
        for (let j = 0; j < provider.issuers.length; j++) {
          if (issuers.has(provider.issuers[j])) entry.invalid("issuer", provider.issuers[j] + " is listed by two providers");
          issuers.add(provider.issuers[j]);
        }
      }
      this.providers.push(provider);
    }
  }

  onRequest(request: Request): Decision {
    const raw = this.source.find(request);
    if (raw === null) return this.reject(new Failure(401, "JWT_MALFORMED", "the credential is not a " + this.source.scheme + " token", 0));
    if (raw == "") return this.reject(new Failure(401, "JWT_MISSING", "a bearer token is required", 0));
    const token = parseToken(raw);
    if (token === null) return this.reject(new Failure(401, "JWT_MALFORMED", "the token is not a well-formed JWT", 0));
    if (!this.algorithms.includes(token.alg)) return this.reject(new Failure(401, "JWT_ALG_NOT_ALLOWED", "the token's algorithm is not accepted", 0));

    const nowSeconds = <f64>Clock.nowMs() / 1000;
    let winner: Provider | null = null;
    let failure: Failure | null = null;
    for (let i = 0; i < this.providers.length && winner === null; i++) {
      const provider = this.providers[i];
      // By issuer, the unverified `iss` only picks the provider; its keys decide.
      if (this.selectByIssuer && !provider.issues(token.claims)) continue;
      const problem = provider.check(token, nowSeconds, this.skewSeconds);
      if (problem === null) winner = provider;
      else if (failure === null || problem.rank > failure.rank) failure = problem;
    }
    if (winner === null) {
      if (failure === null) return this.reject(new Failure(401, "JWT_ISSUER_UNKNOWN", "no provider is configured for the token's issuer", 0));
      return this.reject(failure);
    }
    return this.accept(token, winner);
  }

  private accept(token: Token, provider: Provider): Decision {
    const decision = Decision.next().setMetadata("jwt", token.claims);
    const mappings = provider.claimHeaders;
    const set = new Array<string>();
    for (let i = 0; i < mappings.length; i++) {
      const value = token.claims.get(mappings[i].claim);
      if (value === null) decision.removeHeader(mappings[i].header);
      else decision.setHeader(mappings[i].header, value.isString ? value.stringValue : value.toString());
      set.push(mappings[i].header);
    }
    for (let i = 0; i < this.mappedHeaders.length; i++) {
      if (!set.includes(this.mappedHeaders[i])) decision.removeHeader(this.mappedHeaders[i]);
    }
    if (!this.keepToken) this.source.remove(decision);
    return decision;
  }

  private reject(failure: Failure): Decision {
    const body = JsonValue.object().set("code", JsonValue.string(failure.code)).set("message", JsonValue.string(failure.message));
    let challenge = 'Bearer realm="' + this.realm + '"';
    if (failure.code != "JWT_MISSING" && failure.status == 401) challenge += ', error="invalid_token"';
    return Decision.respondJson(failure.status, body).setHeader("www-authenticate", challenge);
  }
}

register(new Jwt());
