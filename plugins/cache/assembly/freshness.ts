// Explicit freshness of a response (RFC 9111 section 4.2): its lifetime and its age when it arrived.
// There is no heuristic freshness: a response without max-age, s-maxage or Expires has no lifetime.
import { Headers, HttpDate } from "@portcullis/sdk";
import { CacheControl, seconds } from "./cache-control";

export class Freshness {
  constructor(
    /** Seconds; -1 when the response gives no explicit freshness. */
    public lifetime: i64,
    /** Seconds: the larger of `Age` and the time since `Date` (RFC 9111 section 4.2.3). */
    public age: i64,
  ) {}

  static of(headers: Headers, control: CacheControl, nowMs: i64): Freshness {
    const dates = headers.getAll("date");
    const date = dates.length == 1 ? HttpDate.parse(dates[0].trim()) : -1;
    const dateMs = date >= 0 ? date : nowMs;
    const apparentAge = nowMs > dateMs ? (nowMs - dateMs) / 1000 : 0;
    // The first value of the first Age line counts (a list such as "7200, 0" is the upstream's mistake).
    const ages = headers.getAll("age");
    const ageHeader = ages.length > 0 ? seconds(ages[0].split(",")[0].trim()) : 0;
    const age = ageHeader > apparentAge ? ageHeader : apparentAge;
    if (control.sMaxAge >= 0) return new Freshness(control.sMaxAge, age);
    if (control.maxAge >= 0) return new Freshness(control.maxAge, age);
    const expires = headers.getAll("expires");
    if (expires.length == 0) return new Freshness(-1, age);
    // An invalid or repeated Expires means "already expired" (RFC 9111 section 5.3).
    const expiresMs = expires.length == 1 ? HttpDate.parse(expires[0].trim()) : -1;
    return new Freshness(expiresMs > dateMs ? (expiresMs - dateMs) / 1000 : 0, age);
  }
}
