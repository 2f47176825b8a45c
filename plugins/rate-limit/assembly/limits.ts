// Limit definitions: `{ name, requests, window, algorithm, burst }` lists, read from the configuration.
import { Config, JsonValue } from "@portcullis/sdk";

export enum Algorithm {
  /** Counts per epoch-aligned window; up to twice `requests` can pass around a window boundary. */
  Fixed,
  /** Refills `requests` per window evenly, holding at most `burst` (GCRA in the store). */
  TokenBucket,
}

export class Limit {
  constructor(public name: string, public requests: i64, public windowMs: u64, public algorithm: Algorithm, public burst: i64) {}
}

/** The state of one limit after a request was counted (fixed) or took a token (token bucket). */
export class LimitState {
  constructor(
    public limit: Limit,
    public exceeded: bool,
    public remaining: i64,
    /** Until the limit admits this request again. */
    public retryInMs: u64,
    /** Until the window ends (fixed) or the bucket is full again (token bucket). */
    public resetInMs: u64,
  ) {}

  /** Whole seconds of Retry-After (at least 1). */
  get retrySeconds(): u64 {
    return wholeSeconds(this.retryInMs);
  }
  /** Whole seconds of the `t` / X-RateLimit-Reset fields (at least 1). */
  get resetSeconds(): u64 {
    return wholeSeconds(this.resetInMs);
  }
}

function wholeSeconds(ms: u64): u64 {
  const seconds = (ms + 999) / 1000;
  return seconds == 0 ? 1 : seconds;
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-";
const MAX_WINDOW_MS: u64 = 10 * 365 * 86_400_000; // the store caps windows at ten years

function validName(name: string): bool {
  if (name.length == 0 || name.length > 32) return false;
  for (let i = 0; i < name.length; i++) if (!NAME_CHARS.includes(name.charAt(i))) return false;
  return true;
}

/** "250ms", "1s", "10m", "1h", "1d" -> milliseconds; 0 when malformed or past ten years. */
export function windowMs(text: string): u64 {
  let digits = 0;
  while (digits < text.length && text.charCodeAt(digits) >= 0x30 && text.charCodeAt(digits) <= 0x39) digits++;
  if (digits == 0 || digits > 6) return 0;
  const amount = U64.parseInt(text.substring(0, digits));
  const unit = text.substring(digits);
  let scale: u64 = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60_000;
  else if (unit == "h") scale = 3_600_000;
  else if (unit == "d") scale = 86_400_000;
  const ms = amount * scale;
  return ms > MAX_WINDOW_MS ? 0 : ms;
}

/** Reads a limit list at `key` of `config`; problems are reported on `config`. */
export function readLimits(config: Config, key: string): Array<Limit> {
  const limits = new Array<Limit>();
  const list = config.json.get(key);
  const listConfig = new Config(list === null ? JsonValue.array() : list, config.path + "/" + key, config.problem);
  if (list === null || !list.isArray || list.length == 0) {
    config.invalid(key, "must be a non-empty list of { name, requests, window }");
    return limits;
  }
  for (let i = 0; i < list.length; i++) {
    if (!list.at(i).isObject) {
      listConfig.invalid(i.toString(), "must be an object { name, requests, window }");
      return limits;
    }
    const item = new Config(list.at(i), listConfig.path + "/" + i.toString(), config.problem);
    const name = item.requireString("name");
    const requests = item.requireInteger("requests", 1, 1_000_000_000);
    const window = windowMs(item.requireString("window"));
    const algorithmName = item.optionalString("algorithm", "fixed");
    const algorithm = algorithmName == "token-bucket" ? Algorithm.TokenBucket : Algorithm.Fixed;
    const burst = item.optionalInteger("burst", requests, 1, 1_000_000_000);
    if (!item.ok) return limits;
    if (!validName(name)) item.invalid("name", "must be 1-32 characters of a-z, 0-9, _ and -");
    else if (window == 0) item.invalid("window", "must be a number and a unit (ms, s, m, h, d), at most ten years");
    else if (algorithmName != "fixed" && algorithmName != "token-bucket") item.invalid("algorithm", "must be fixed or token-bucket");
    else if (algorithm == Algorithm.Fixed && item.has("burst")) item.invalid("burst", "applies to algorithm: token-bucket only");
    for (let j = 0; j < limits.length; j++) if (limits[j].name == name) item.invalid("name", `"${name}" is used twice`);
    if (!item.ok) return limits;
    limits.push(new Limit(name, requests, window, algorithm, burst));
  }
  return limits;
}
