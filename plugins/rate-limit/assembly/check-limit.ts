// One request against one limit: a fixed-window count or a token-bucket take, each one atomic store call.
import { Counters } from "@portcullis/sdk";
import { Algorithm, Limit, LimitState } from "./limits";

/** Charges one request to `limit` under the store key `key`; null when the store cannot answer. */
export function checkLimit(limit: Limit, key: string): LimitState | null {
  if (limit.algorithm == Algorithm.TokenBucket) {
    const taken = Counters.take(key, 1, <u32>limit.requests, limit.windowMs, <u32>limit.burst);
    if (!taken.isOk) return null;
    const bucket = taken.ok!;
    return new LimitState(limit, !bucket.allowed, <i64>bucket.remaining, bucket.retryInMs, bucket.resetInMs);
  }
  const counted = Counters.increment(key, 1, limit.windowMs);
  if (!counted.isOk) return null;
  const count = counted.ok!.value;
  const remaining = count >= limit.requests ? 0 : limit.requests - count;
  return new LimitState(limit, count > limit.requests, remaining, counted.ok!.resetInMs, counted.ok!.resetInMs);
}
