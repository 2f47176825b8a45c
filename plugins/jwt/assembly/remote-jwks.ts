// Keys from a JWKS URL: kept in memory and in the shared kv store (so every worker sees a fetch),
// fetched again when they are older than the cache time or when a token names an unknown kid.
// Every fetch attempt, successful or not, takes a shared lock for the cooldown, so the URL is asked
// at most once per cooldown. When it cannot be reached, the last good keys serve until they are
// `maxStaleMs` old; after that the policy fails closed.
import { Clock, Http, JsonValue, Kv, Utf8 } from "@portcullis/sdk";
import { Jwk, KeySource, keysOfJwks } from "./keys";

class FetchedKeys {
  constructor(public readonly keys: Jwk[], public readonly fetchedAtMs: u64) {}
}

/** Age of `keys` at `now`; another worker may have stored them a moment after this one read its clock. */
function ageMs(keys: FetchedKeys, now: u64): u64 {
  return now > keys.fetchedAtMs ? now - keys.fetchedAtMs : 0;
}

export class RemoteJwks extends KeySource {
  private latest: FetchedKeys | null = null;
  private readonly storeKey: string;
  private readonly lockKey: string;

  constructor(
    public readonly url: string,
    private readonly cacheMs: u64,
    private readonly cooldownMs: u64,
    private readonly maxStaleMs: u64,
    private readonly timeoutMs: u32,
  ) {
    super();
    this.storeKey = "jwt:jwks:" + url;
    this.lockKey = "jwt:jwks-fetch:" + url;
  }

  /** Current keys (`refresh`: a token named an unknown kid), or null when none are usable. */
  keys(refresh: bool): Jwk[] | null {
    const now = Clock.nowMs();
    if (!refresh && this.isFresh(this.latest, now)) return this.latest!.keys;
    this.adopt(this.stored());
    if (!refresh && this.isFresh(this.latest, now)) return this.latest!.keys;
    if (this.takeFetchLock()) {
      const fetched = this.fetched(now);
      if (fetched !== null) this.latest = fetched;
    }
    const latest = this.latest;
    return latest !== null && ageMs(latest, now) < this.maxStaleMs ? latest.keys : null;
  }

  private isFresh(keys: FetchedKeys | null, now: u64): bool {
    return keys !== null && ageMs(keys, now) < this.cacheMs;
  }

  /** Keeps `candidate` (stored by any worker) when it is newer than what this instance holds. */
  private adopt(candidate: FetchedKeys | null): void {
    const latest = this.latest;
    if (candidate !== null && (latest === null || candidate.fetchedAtMs > latest.fetchedAtMs)) this.latest = candidate;
  }

  /** True when no other fetch happened within the cooldown (a store outage does not block fetching). */
  private takeFetchLock(): bool {
    if (this.cooldownMs == 0) return true; // a kv TTL of 0 would mean "forever"
    const held = Kv.get(this.lockKey);
    if (held.isOk && held.ok !== null) return false;
    Kv.set(this.lockKey, Utf8.encode("1"), this.cooldownMs);
    return true;
  }

  private stored(): FetchedKeys | null {
    const read = Kv.get(this.storeKey);
    const bytes = read.ok;
    if (!read.isOk || bytes === null) return null;
    const entry = JsonValue.parse(String.UTF8.decode(bytes.buffer));
    if (entry === null || !entry.isObject) return null;
    const at = entry.get("fetchedAtMs");
    const jwks = entry.get("jwks");
    if (at === null || !at.isNumber || jwks === null) return null;
    const keys = keysOfJwks(jwks.toString());
    return keys === null ? null : new FetchedKeys(keys, <u64>at.numberValue);
  }

  private fetched(now: u64): FetchedKeys | null {
    const response = Http.fetch("GET", this.url, [], null, this.timeoutMs);
    const answer = response.ok;
    if (!response.isOk || answer === null || answer.status != 200) return null;
    const text = String.UTF8.decode(answer.body.buffer);
    const keys = keysOfJwks(text);
    if (keys === null) return null;
    const entry = JsonValue.object().set("fetchedAtMs", JsonValue.number(<f64>now)).set("jwks", JsonValue.parse(text)!);
    Kv.set(this.storeKey, Utf8.encode(entry.toString()), this.maxStaleMs);
    return new FetchedKeys(keys, now);
  }
}
