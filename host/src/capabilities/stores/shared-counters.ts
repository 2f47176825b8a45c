import { createHash } from "node:crypto";
import { windowStart, type CounterState } from "./shared-store.js";
import { bucketState, bucketTiming, takeTokens, type BucketLimit, type BucketState } from "./token-bucket.js";

/**
 * The memory backend's counters and token buckets, in one SharedArrayBuffer that the main thread
 * creates and every policy worker maps: a worker updates them under a lock in shared memory instead
 * of a round trip to the main thread through the bridge (two thread wake-ups per call, which made
 * a counter the largest cost of a rate-limited request). Exact across the workers of one gateway.
 *
 * Open addressing over fixed slots, keyed by a 128-bit digest of (kind, window, key). A slot whose
 * window has ended (or whose bucket is full again) is free for reuse; when every probed slot is live,
 * the one that expires first is given up, as the least useful. One lock guards the table: the
 * critical sections are a few hundred nanoseconds. A thread terminated while holding it (a policy
 * stopped at its time budget inside a counter call) would leave it held, so a lock older than
 * STALE_LOCK_MS is taken over.
 */

/** Int32 words per slot: [0..3] digest (all zero: empty), [4..5] pad, then two float64: expiry (ms), value. */
const SLOT_WORDS = 10;
/** [0] the lock: 0 when free, else the time it was taken (30 bits of ms, with bit 30 set so it is never 0); [1] pad. */
const HEADER_WORDS = 2;
const MAX_PROBES = 32;
const STALE_LOCK_MS = 100;
const LOCK_TIME_MASK = 0x3fffffff;
const LOCK_HELD = 0x40000000;

type Kind = "counter" | "bucket";

export class SharedCounters {
  readonly buffer: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #floats: Float64Array;
  readonly #mask: number;

  /** A new table of `slots` slots (rounded up to a power of two), or a view of an existing one. */
  constructor(
    source: number | SharedArrayBuffer,
    private readonly now: () => number = Date.now,
  ) {
    this.buffer = typeof source === "number" ? new SharedArrayBuffer(bytesFor(source)) : source;
    this.#words = new Int32Array(this.buffer);
    this.#floats = new Float64Array(this.buffer);
    this.#mask = (this.#words.length - HEADER_WORDS) / SLOT_WORDS - 1;
  }

  get slots(): number {
    return this.#mask + 1;
  }

  /** Adds `delta` in the epoch-aligned window of `windowMs` that contains now. */
  increment(key: string, delta: number, windowMs: number): CounterState {
    const now = this.now();
    const end = windowStart(now, windowMs) + windowMs;
    return this.#locked(() => {
      const slot = this.#slot(digest("counter", windowMs, key), now, true);
      const value = (this.#expiry(slot) === end ? this.#value(slot) : 0) + delta;
      this.#write(slot, end, value);
      return { value, resetInMs: end - now };
    });
  }

  getCounter(key: string, windowMs: number): CounterState {
    const now = this.now();
    const end = windowStart(now, windowMs) + windowMs;
    return this.#locked(() => {
      const slot = this.#slot(digest("counter", windowMs, key), now, false);
      return { value: slot >= 0 && this.#expiry(slot) === end ? this.#value(slot) : 0, resetInMs: end - now };
    });
  }

  /** Takes `cost` tokens from bucket `key` if it holds them (see token-bucket.ts); throws StoreError when cost > burst. */
  take(key: string, cost: number, limit: BucketLimit): BucketState {
    const timing = bucketTiming(limit, cost);
    const nowUs = this.now() * 1000;
    return this.#locked(() => {
      const slot = this.#slot(digest("bucket", limit.periodMs, key), nowUs / 1000, cost > 0);
      const stored = slot >= 0 && this.#expiry(slot) > nowUs / 1000 ? this.#value(slot) : undefined;
      const { allowed, tatUs } = takeTokens(stored, nowUs, cost, timing);
      // The bucket is full again at its TAT: that is when its slot may be reused.
      if (allowed && cost > 0) this.#write(slot, tatUs / 1000, tatUs);
      return bucketState(allowed, tatUs, nowUs, cost, timing);
    });
  }

  /**
   * The slot holding `id`; when it has none and `claim` is set, a free, expired or (all probed slots
   * live) the soonest-expiring slot, emptied and given the digest; otherwise -1.
   */
  #slot(id: Int32Array, now: number, claim: boolean): number {
    const words = this.#words;
    let reusable = -1;
    let soonest = -1;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const slot = (id[0]! + probe) & this.#mask;
      const base = HEADER_WORDS + slot * SLOT_WORDS;
      if (words[base] === id[0] && words[base + 1] === id[1] && words[base + 2] === id[2] && words[base + 3] === id[3]) return slot;
      const empty = (words[base]! | words[base + 1]! | words[base + 2]! | words[base + 3]!) === 0;
      if (reusable < 0 && (empty || this.#expiry(slot) <= now)) reusable = slot;
      if (empty) break; // never filled: the digest is not further along
      if (soonest < 0 || this.#expiry(slot) < this.#expiry(soonest)) soonest = slot;
    }
    if (!claim) return -1;
    const slot = reusable >= 0 ? reusable : soonest;
    words.set(id, HEADER_WORDS + slot * SLOT_WORDS);
    this.#write(slot, 0, 0);
    return slot;
  }

  #expiry(slot: number): number {
    return this.#floats[(HEADER_WORDS + slot * SLOT_WORDS) / 2 + 3]!;
  }

  #value(slot: number): number {
    return this.#floats[(HEADER_WORDS + slot * SLOT_WORDS) / 2 + 4]!;
  }

  #write(slot: number, expiry: number, value: number): void {
    const at = (HEADER_WORDS + slot * SLOT_WORDS) / 2;
    this.#floats[at + 3] = expiry;
    this.#floats[at + 4] = value;
  }

  #locked<T>(body: () => T): T {
    const words = this.#words;
    for (let spins = 1; ; spins++) {
      const held = Atomics.compareExchange(words, 0, 0, lockWord());
      if (held === 0) break;
      if (spins % 64 === 0) {
        // Taken long ago: its holder was terminated inside the critical section. Take it over.
        const heldFor = (Date.now() - held) & LOCK_TIME_MASK;
        if (heldFor > STALE_LOCK_MS && Atomics.compareExchange(words, 0, held, lockWord()) === held) break;
        Atomics.wait(words, 0, held, 1);
      }
    }
    try {
      return body();
    } finally {
      Atomics.store(words, 0, 0);
      Atomics.notify(words, 0, 1);
    }
  }
}

/** The lock word for "taken now". */
function lockWord(): number {
  return (Date.now() & LOCK_TIME_MASK) | LOCK_HELD;
}

function bytesFor(slots: number): number {
  const size = 2 ** Math.ceil(Math.log2(Math.max(MAX_PROBES, slots)));
  return (HEADER_WORDS + size * SLOT_WORDS) * Int32Array.BYTES_PER_ELEMENT;
}

/** 128 bits of SHA-1 over the kind, window and key; never all zero (that marks an empty slot). */
function digest(kind: Kind, windowMs: number, key: string): Int32Array {
  const bytes = createHash("sha1").update(`${kind}\0${windowMs}\0${key}`).digest();
  const id = new Int32Array(4);
  new Uint8Array(id.buffer).set(bytes.subarray(0, 16));
  if ((id[0]! | id[1]! | id[2]! | id[3]!) === 0) id[3] = 1;
  return id;
}
