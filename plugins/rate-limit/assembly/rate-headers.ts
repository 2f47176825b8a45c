// The header fields of a limit's state: IETF draft `RateLimit-Policy` / `RateLimit`
// (draft-ietf-httpapi-ratelimit-headers, structured fields) or the common `X-RateLimit-*`.
import { Header } from "@portcullis/sdk";
import { Algorithm, Limit, LimitState } from "./limits";

export enum HeaderStyle {
  Ietf,
  XRateLimit,
  None,
}

/** The fields describing `limits` (the tier's) with `tightest` as the current state. */
export function rateHeaders(style: HeaderStyle, limits: Array<Limit>, tightest: LimitState): Array<Header> {
  const headers = new Array<Header>();
  if (style == HeaderStyle.Ietf) {
    const policies = new Array<string>();
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i];
      policies.push(`"${limit.name}";q=${limit.requests.toString()};w=${((limit.windowMs + 999) / 1000).toString()}`);
    }
    headers.push(new Header("ratelimit-policy", policies.join(", ")));
    headers.push(new Header("ratelimit", `"${tightest.limit.name}";r=${tightest.remaining.toString()};t=${tightest.resetSeconds.toString()}`));
  } else if (style == HeaderStyle.XRateLimit) {
    const limit = tightest.limit;
    // a bucket's remaining counts up to its burst
    headers.push(new Header("x-ratelimit-limit", (limit.algorithm == Algorithm.TokenBucket ? limit.burst : limit.requests).toString()));
    headers.push(new Header("x-ratelimit-remaining", tightest.remaining.toString()));
    headers.push(new Header("x-ratelimit-reset", tightest.resetSeconds.toString()));
  }
  return headers;
}
