// Keys from a JWKS file, read when the configuration loads and again while running: when the keys
// are older than the cache time, or when a token names an unknown kid (at most once per cooldown).
// A file that becomes unreadable or stops being a JWKS leaves the last good keys in place.
import { Clock, Files, Utf8 } from "@portcullis/sdk";
import { Jwk, KeySource, keysOfJwks } from "./keys";

/** The keys of the JWKS file at `path`, or null when it cannot be read or is not a JWKS. */
function readJwks(path: string): Jwk[] | null {
  const read = Files.read(path);
  const bytes = read.ok;
  return read.isOk && bytes !== null ? keysOfJwks(Utf8.decode(bytes)) : null;
}

export class FileJwks extends KeySource {
  private readAtMs: u64;

  private constructor(
    public readonly path: string,
    private current: Jwk[],
    private readonly cacheMs: u64,
    private readonly cooldownMs: u64,
  ) {
    super();
    this.readAtMs = Clock.nowMs();
  }

  /** The file's keys now, or null when it cannot be read or is not a JWKS (a configuration error). */
  static open(path: string, cacheMs: u64, cooldownMs: u64): FileJwks | null {
    const keys = readJwks(path);
    return keys === null ? null : new FileJwks(path, keys, cacheMs, cooldownMs);
  }

  keys(refresh: bool): Jwk[] | null {
    const now = Clock.nowMs();
    const age = now > this.readAtMs ? now - this.readAtMs : 0;
    if (age >= this.cacheMs || (refresh && age >= this.cooldownMs)) {
      this.readAtMs = now;
      const keys = readJwks(this.path);
      if (keys !== null) this.current = keys;
    }
    return this.current;
  }
}
