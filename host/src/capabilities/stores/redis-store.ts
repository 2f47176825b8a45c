import { Redis } from "ioredis";
import { DEFAULT_STORE_LIMITS, StoreError, checkKey, checkValue, windowStart, type CounterState, type SharedStore, type StoreLimits } from "./shared-store.js";
import { bucketState, bucketTiming, type BucketLimit, type BucketState } from "./token-bucket.js";

export interface RedisStoreOptions extends Partial<StoreLimits> {
  /** `redis://[:password@]host:port[/db]` */
  url: string;
  /** Namespace of every key this gateway writes, e.g. `portcullis:`. */
  prefix?: string;
  /** Longest wait for one command (and for connecting) before `unavailable`. */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * INCRBY and, on the window's first increment, PEXPIRE, atomically. The key names
 * the window's start, so a window never sees a previous window's count; the
 * expiry only reclaims memory.
 */
const INCREMENT_IN_WINDOW = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value`;

/**
 * GCRA take (token-bucket.ts's takeTokens, in Lua): ARGV = cost, microseconds per token,
 * capacity in microseconds. Returns { allowed 0/1, TAT kept, now }, all in microseconds.
 * The clock is Redis's TIME, one clock for every gateway instance: a bucket holds an absolute
 * time, so instances whose clocks disagree would otherwise see different amounts of tokens.
 * Absent key = full bucket; the key expires when the bucket is full again.
 */
const TAKE_FROM_BUCKET = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local cost = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next = tat + tonumber(ARGV[2]) * cost
if next - now > tonumber(ARGV[3]) then return { 0, tat, now } end
if cost > 0 then redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.ceil((next - now) / 1000)) end
return { 1, next, now }`;

/** Kept after a window ends so instances whose clocks lag slightly still find it. */
const WINDOW_GRACE_MS = 5_000;

type RedisWithScripts = Redis & {
  incrementInWindow(key: string, delta: number, ttlMs: number): Promise<number>;
  takeFromBucket(key: string, cost: number, intervalUs: number, capacityUs: number): Promise<[number, number, number]>;
};

/**
 * Store shared by every gateway instance pointed at one Redis. Commands fail fast
 * when Redis is unreachable (no offline queue, no retries, a command timeout), and
 * the client keeps reconnecting in the background.
 */
export class RedisStore implements SharedStore {
  readonly #redis: RedisWithScripts;
  readonly #prefix: string;
  readonly #limits: StoreLimits;
  readonly #now: () => number;
  #lastError: Error | undefined;

  constructor(options: RedisStoreOptions) {
    const timeoutMs = options.timeoutMs ?? 500;
    this.#prefix = options.prefix ?? "portcullis:";
    this.#limits = {
      maxKeyBytes: options.maxKeyBytes ?? DEFAULT_STORE_LIMITS.maxKeyBytes,
      maxValueBytes: options.maxValueBytes ?? DEFAULT_STORE_LIMITS.maxValueBytes,
    };
    this.#now = options.now ?? Date.now;
    const redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: timeoutMs,
      connectTimeout: Math.max(timeoutMs, 1_000),
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    redis.on("error", (error: Error) => {
      this.#lastError = error;
    });
    redis.defineCommand("incrementInWindow", { numberOfKeys: 1, lua: INCREMENT_IN_WINDOW });
    redis.defineCommand("takeFromBucket", { numberOfKeys: 1, lua: TAKE_FROM_BUCKET });
    this.#redis = redis as RedisWithScripts;
  }

  /** Resolves once connected, or rejects with the connection error (useful at start-up and in tests). */
  async ready(): Promise<void> {
    if (this.#redis.status === "ready") return;
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(error);
      };
      const cleanup = (): void => {
        this.#redis.off("ready", onReady);
        this.#redis.off("error", onError);
      };
      this.#redis.once("ready", onReady);
      this.#redis.once("error", onError);
    });
  }

  async increment(key: string, delta: number, windowMs: number): Promise<CounterState> {
    checkKey(key, this.#limits);
    const now = this.#now();
    const start = windowStart(now, windowMs);
    const ttlMs = start + windowMs - now + WINDOW_GRACE_MS;
    const value = await this.#run(() => this.#redis.incrementInWindow(this.#counterKey(key, windowMs, start), delta, ttlMs));
    return { value: Number(value), resetInMs: start + windowMs - now };
  }

  async getCounter(key: string, windowMs: number): Promise<CounterState> {
    checkKey(key, this.#limits);
    const now = this.#now();
    const start = windowStart(now, windowMs);
    const value = await this.#run(() => this.#redis.get(this.#counterKey(key, windowMs, start)));
    return { value: value === null ? 0 : Number(value), resetInMs: start + windowMs - now };
  }

  async take(key: string, cost: number, limit: BucketLimit): Promise<BucketState> {
    checkKey(key, this.#limits);
    const timing = bucketTiming(limit, cost);
    const [allowed, tatUs, nowUs] = await this.#run(() =>
      this.#redis.takeFromBucket(`${this.#prefix}bucket:${key}`, cost, timing.intervalUs, timing.capacityUs),
    );
    return bucketState(allowed === 1, tatUs, nowUs, cost, timing);
  }

  async kvGet(key: string): Promise<Uint8Array | undefined> {
    checkKey(key, this.#limits);
    const value = await this.#run(() => this.#redis.getBuffer(this.#kvKey(key)));
    // A copy: a view would drag the reply's whole backing buffer through the bridge.
    return value === null ? undefined : new Uint8Array(value);
  }

  async kvSet(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    checkKey(key, this.#limits);
    checkValue(value, this.#limits);
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    await this.#run(() => (ttlMs > 0 ? this.#redis.set(this.#kvKey(key), bytes, "PX", ttlMs) : this.#redis.set(this.#kvKey(key), bytes)));
  }

  async kvDelete(key: string): Promise<boolean> {
    checkKey(key, this.#limits);
    return (await this.#run(() => this.#redis.del(this.#kvKey(key)))) > 0;
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  #counterKey(key: string, windowMs: number, start: number): string {
    return `${this.#prefix}counter:${windowMs}:${start}:${key}`;
  }

  #kvKey(key: string): string {
    return `${this.#prefix}kv:${key}`;
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const last = this.#lastError ? ` (last connection error: ${this.#lastError.message})` : "";
      throw new StoreError("unavailable", `redis: ${reason}${last}`, { cause: error });
    }
  }
}
