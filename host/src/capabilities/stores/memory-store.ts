import { SharedCounters } from "./shared-counters.js";
import { DEFAULT_STORE_LIMITS, checkKey, checkValue, type CounterState, type SharedStore, type StoreLimits } from "./shared-store.js";
import type { BucketLimit, BucketState } from "./token-bucket.js";

export interface MemoryStoreOptions extends Partial<StoreLimits> {
  /** Most kv entries kept; the least recently used goes first. */
  maxKvEntries?: number;
  /** Most kv bytes (values) kept; the least recently used goes first. */
  maxKvBytes?: number;
  /** Slots of the shared counter table (counters and token buckets together; see SharedCounters). */
  counterSlots?: number;
  now?: () => number;
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
  readonly #now: () => number;
  /** Counters and buckets, in shared memory that policy workers update directly. */
  readonly counters: SharedCounters;
  readonly #kv = new Map<string, KvEntry>();
  #kvBytes = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#limits = {
      maxKeyBytes: options.maxKeyBytes ?? DEFAULT_STORE_LIMITS.maxKeyBytes,
      maxValueBytes: options.maxValueBytes ?? DEFAULT_STORE_LIMITS.maxValueBytes,
    };
    this.#maxKvEntries = options.maxKvEntries ?? 100_000;
    this.#maxKvBytes = options.maxKvBytes ?? 64 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
    this.counters = new SharedCounters(options.counterSlots ?? 65_536, this.#now);
  }

  async getCounter(key: string, windowMs: number): Promise<CounterState> {
    checkKey(key, this.#limits);
    return this.counters.getCounter(key, windowMs);
  }

  async increment(key: string, delta: number, windowMs: number): Promise<CounterState> {
    checkKey(key, this.#limits);
    return this.counters.increment(key, delta, windowMs);
  }

  async take(key: string, cost: number, limit: BucketLimit): Promise<BucketState> {
    checkKey(key, this.#limits);
    return this.counters.take(key, cost, limit);
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
