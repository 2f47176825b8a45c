import type { BucketLimit, BucketState } from "./token-bucket.js";

/**
 * The backing store of the `counters` and `kv` capabilities, owned by the main thread. Workers
 * reach it through the bridge, except the memory backend's counters, which they update directly
 * in shared memory (SharedCounters). Either way counts are exact across workers; the Redis
 * implementation makes them exact across gateway instances.
 */
export interface CounterState {
  value: number;
  resetInMs: number;
}

export interface SharedStore {
  /** Adds `delta` in the fixed window of `windowMs` aligned to the epoch that contains now. */
  increment(key: string, delta: number, windowMs: number): Promise<CounterState>;
  getCounter(key: string, windowMs: number): Promise<CounterState>;
  /** Takes `cost` tokens from the token bucket `key` if it holds them, atomically (see token-bucket.ts). */
  take(key: string, cost: number, limit: BucketLimit): Promise<BucketState>;
  kvGet(key: string): Promise<Uint8Array | undefined>;
  /** `ttlMs` 0 keeps the value until it is deleted or evicted. */
  kvSet(key: string, value: Uint8Array, ttlMs: number): Promise<void>;
  kvDelete(key: string): Promise<boolean>;
  close(): Promise<void>;
}

export type StoreErrorKind = "unavailable" | "too-large";

/** What a store throws for the failures a policy can act on (mapped to `store-error`). */
export class StoreError extends Error {
  readonly kind: StoreErrorKind;

  constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
    this.kind = kind;
  }
}

export interface StoreLimits {
  /** Longest key in bytes (UTF-8). */
  maxKeyBytes: number;
  /** Largest kv value in bytes. */
  maxValueBytes: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxKeyBytes: 1024, maxValueBytes: 1024 * 1024 };

export function checkKey(key: string, limits: StoreLimits): void {
  const bytes = Buffer.byteLength(key);
  if (bytes > limits.maxKeyBytes) throw new StoreError("too-large", `key of ${bytes} bytes exceeds ${limits.maxKeyBytes}`);
}

export function checkValue(value: Uint8Array, limits: StoreLimits): void {
  if (value.byteLength > limits.maxValueBytes) {
    throw new StoreError("too-large", `value of ${value.byteLength} bytes exceeds ${limits.maxValueBytes}`);
  }
}

/** Start of the epoch-aligned window of `windowMs` that contains `now`. */
export function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}
