import {
  DEFAULT_STORE_LIMITS, checkKey, checkValue, windowStart,
  type CounterState, type SharedStore, type StoreLimits,
} from "./shared-store.js";
import { bucketState, bucketTiming, takeTokens, type BucketLimit, type BucketState } from "./token-bucket.js";

export interface MemoryStoreOptions extends Partial<StoreLimits> {
  /** Most kv entries kept; the least recently used goes first. */
  maxKvEntries?: number;
  /** Most kv bytes (values) kept; the least recently used goes first. */
  maxKvBytes?: number;
  /** Most live counters (and, apart, token buckets) kept; the least recently touched goes first. */
  maxCounters?: number;
  now?: () => number;
}

interface CounterEntry {
  windowStart: number;
  value: number;
}

interface KvEntry {
  value: Uint8Array;
  expiresAt: number;
}

/**
 * In-process store for one gateway instance. Maps keep insertion order, so
 * deleting and re-inserting an entry on use makes the first entry the least
 * recently used one.
 */
export class MemoryStore implements SharedStore {
  readonly #limits: StoreLimits;
  readonly #maxKvEntries: number;
  readonly #maxKvBytes: number;
  readonly #maxCounters: number;
  readonly #now: () => number;
  readonly #counters = new Map<string, CounterEntry>();
  /** Token bucket key -> TAT in microseconds (an absent or past TAT is a full bucket). */
  readonly #buckets = new Map<string, number>();
  readonly #kv = new Map<string, KvEntry>();
  #kvBytes = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#limits = {
      maxKeyBytes: options.maxKeyBytes ?? DEFAULT_STORE_LIMITS.maxKeyBytes,
      maxValueBytes: options.maxValueBytes ?? DEFAULT_STORE_LIMITS.maxValueBytes,
    };
    this.#maxKvEntries = options.maxKvEntries ?? 100_000;
    this.#maxKvBytes = options.maxKvBytes ?? 64 * 1024 * 1024;
    this.#maxCounters = options.maxCounters ?? 1_000_000;
    this.#now = options.now ?? Date.now;
  }

  async getCounter(key: string, windowMs: number): Promise<CounterState> {
    checkKey(key, this.#limits);
    const now = this.#now();
    const start = windowStart(now, windowMs);
    const entry = this.#counters.get(counterKey(key, windowMs));
    const value = entry && entry.windowStart === start ? entry.value : 0;
    return { value, resetInMs: start + windowMs - now };
  }

  async increment(key: string, delta: number, windowMs: number): Promise<CounterState> {
    checkKey(key, this.#limits);
    const now = this.#now();
    const start = windowStart(now, windowMs);
    const id = counterKey(key, windowMs);
    const entry = this.#counters.get(id);
    const value = (entry && entry.windowStart === start ? entry.value : 0) + delta;
    this.#counters.delete(id);
    this.#counters.set(id, { windowStart: start, value });
    evictOldest(this.#counters, this.#maxCounters);
    return { value, resetInMs: start + windowMs - now };
  }

  async take(key: string, cost: number, limit: BucketLimit): Promise<BucketState> {
    checkKey(key, this.#limits);
    const timing = bucketTiming(limit, cost);
    const nowUs = this.#now() * 1000;
    const { allowed, tatUs } = takeTokens(this.#buckets.get(key), nowUs, cost, timing);
    if (allowed && cost > 0) {
      this.#buckets.delete(key);
      this.#buckets.set(key, tatUs);
      evictOldest(this.#buckets, this.#maxCounters);
    }
    return bucketState(allowed, tatUs, nowUs, cost, timing);
  }

  async kvGet(key: string): Promise<Uint8Array | undefined> {
    checkKey(key, this.#limits);
    const entry = this.#kv.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#removeKv(key, entry);
      return undefined;
    }
    this.#kv.delete(key);
    this.#kv.set(key, entry);
    return entry.value;
  }

  async kvSet(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    checkKey(key, this.#limits);
    checkValue(value, this.#limits);
    const previous = this.#kv.get(key);
    if (previous) this.#removeKv(key, previous);
    const expiresAt = ttlMs > 0 ? this.#now() + ttlMs : Number.POSITIVE_INFINITY;
    this.#kv.set(key, { value: value.slice(), expiresAt });
    this.#kvBytes += value.byteLength;
    this.#evictKv();
  }

  async kvDelete(key: string): Promise<boolean> {
    checkKey(key, this.#limits);
    const entry = this.#kv.get(key);
    if (!entry) return false;
    this.#removeKv(key, entry);
    return entry.expiresAt > this.#now();
  }

  async close(): Promise<void> {
    this.#counters.clear();
    this.#buckets.clear();
    this.#kv.clear();
    this.#kvBytes = 0;
  }

  get kvSize(): number {
    return this.#kv.size;
  }

  #removeKv(key: string, entry: KvEntry): void {
    this.#kv.delete(key);
    this.#kvBytes -= entry.value.byteLength;
  }

  #evictKv(): void {
    for (const [key, entry] of this.#kv) {
      if (this.#kv.size <= this.#maxKvEntries && this.#kvBytes <= this.#maxKvBytes) return;
      this.#removeKv(key, entry);
    }
  }
}

/** Drops the least recently touched entries beyond `max` (counters of past windows and full buckets are among them). */
function evictOldest(entries: Map<string, unknown>, max: number): void {
  for (const id of entries.keys()) {
    if (entries.size <= max) return;
    entries.delete(id);
  }
}

function counterKey(key: string, windowMs: number): string {
  return `${windowMs}:${key}`;
}
