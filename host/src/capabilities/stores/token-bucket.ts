/**
 * Token buckets as GCRA (generic cell rate algorithm): a bucket is one number,
 * its theoretical arrival time (TAT), the instant at which it will be full
 * again. Taking `cost` tokens moves the TAT `cost` emission intervals later;
 * the take is refused when that would put the TAT more than the bucket's
 * capacity (burst x interval) ahead of now. Time is in integer microseconds,
 * so every value stays exact in a double (and in Redis's Lua numbers).
 */
import { StoreError } from "./shared-store.js";

/** What `counters.take` is given, after the worker side's bounds (every field at least 1). */
export interface BucketLimit {
  rate: number;
  periodMs: number;
  burst: number;
}

export interface BucketState {
  allowed: boolean;
  remaining: number;
  retryInMs: number;
  resetInMs: number;
}

export interface BucketTiming {
  /** Microseconds per token (at least 1). */
  intervalUs: number;
  /** Microseconds of TAT ahead of now when the bucket is empty. */
  capacityUs: number;
}

export function bucketTiming(limit: BucketLimit, cost: number): BucketTiming {
  if (cost > limit.burst) throw new StoreError("too-large", `a cost of ${cost} exceeds the bucket's burst of ${limit.burst}`);
  const intervalUs = Math.max(1, Math.round((limit.periodMs * 1000) / limit.rate));
  return { intervalUs, capacityUs: intervalUs * limit.burst };
}

/** The decision: whether `cost` tokens fit, and the TAT to keep afterwards (unchanged when refused). */
export function takeTokens(storedTatUs: number | undefined, nowUs: number, cost: number, timing: BucketTiming): { allowed: boolean; tatUs: number } {
  const tatUs = Math.max(storedTatUs ?? nowUs, nowUs);
  const nextUs = tatUs + timing.intervalUs * cost;
  return nextUs - nowUs <= timing.capacityUs ? { allowed: true, tatUs: nextUs } : { allowed: false, tatUs };
}

/** The state a caller sees, from the decision and the TAT kept after it. */
export function bucketState(allowed: boolean, tatUs: number, nowUs: number, cost: number, timing: BucketTiming): BucketState {
  const aheadUs = Math.max(0, tatUs - nowUs);
  const retryUs = allowed ? 0 : aheadUs + timing.intervalUs * cost - timing.capacityUs;
  return {
    allowed,
    remaining: Math.floor((timing.capacityUs - aheadUs) / timing.intervalUs),
    retryInMs: Math.ceil(retryUs / 1000),
    resetInMs: Math.ceil(aheadUs / 1000),
  };
}
