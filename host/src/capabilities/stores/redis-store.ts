import { Redis } from "ioredis";
import {
  DEFAULT_STORE_LIMITS, StoreError, checkKey, checkValue, windowStart,
  type CounterState, type SharedStore, type StoreLimits,
} from "./shared-store.js";

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

/** Kept after a window ends so instances whose clocks lag slightly still find it. */
const WINDOW_GRACE_MS = 5_000;

type RedisWithIncrement = Redis & {
  incrementInWindow(key: string, delta: number, ttlMs: number): Promise<number>;
};

/**
 * Store shared by every gateway instance pointed at one Redis. Commands fail fast
 * when Redis is unreachable (no offline queue, no retries, a command timeout), and
 * the client keeps reconnecting in the background.
 */
export class RedisStore implements SharedStore {
  readonly #redis: RedisWithIncrement;
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
    this.#redis = redis as RedisWithIncrement;
  }

  /** Resolves once connected, or rejects with the connection error (useful at start-up and in tests). */
  async ready(): Promise<void> {
    if (this.#redis.status === "ready") return;
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => { cleanup(); resolve(); };
      const onError = (error: Error): void => { cleanup(); reject(error); };
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
    await this.#run(() =>
      ttlMs > 0 ? this.#redis.set(this.#kvKey(key), bytes, "PX", ttlMs) : this.#redis.set(this.#kvKey(key), bytes),
    );
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
