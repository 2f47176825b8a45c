import type { BridgeClient } from "../bridge/bridge-client.js";
import type { BucketState, Capabilities, Counter, Result, StoreError } from "../contract.js";
import type { SharedCounters } from "./shared-counters.js";
import { checkKey, DEFAULT_STORE_LIMITS, StoreError as StoreFailure, type CounterState, type StoreLimits } from "./shared-store.js";
import type { BucketLimit, BucketState as StoreBucketState } from "./token-bucket.js";
import { STORE_CALLS } from "./store-handlers.js";

/** Longest window or TTL: ten years (beyond it Redis refuses the expiry, and nothing needs more). */
const MAX_DURATION_MS = 10 * 366 * 24 * 3600 * 1000;

/** Worker side of `counters`: through the bridge to the main thread's store, or (memory backend) in shared memory. */
export function createCounters(store: CounterOperations): Capabilities["counters"] {
  const toCounter = (state: CounterState): Counter => ({
    value: BigInt(state.value),
    resetInMs: BigInt(Math.max(0, state.resetInMs)),
  });
  return {
    increment: (key, delta, windowMs) => mapOk(store.increment(key, Number(delta), windowFrom(windowMs)), toCounter),
    get: (key, windowMs) => mapOk(store.getCounter(key, windowFrom(windowMs)), toCounter),
    take(key, cost, limit) {
      const bounded: BucketLimit = { rate: Math.max(1, limit.rate), periodMs: windowFrom(limit.periodMs), burst: Math.max(1, limit.burst) };
      return mapOk(store.take(key, cost, bounded), toBucketState);
    },
  };
}

/** The counter operations of a store, answered synchronously (a worker blocks on them). */
export interface CounterOperations {
  increment(key: string, delta: number, windowMs: number): Result<CounterState, StoreError>;
  getCounter(key: string, windowMs: number): Result<CounterState, StoreError>;
  take(key: string, cost: number, limit: BucketLimit): Result<StoreBucketState, StoreError>;
}

/** Counter operations as bridged calls to the main thread's store (Redis, or memory without shared counters). */
export function bridgedCounters(bridge: BridgeClient, timeoutMs: number): CounterOperations {
  return {
    increment: (key, delta, windowMs) => call(bridge, STORE_CALLS.increment, { key, delta, windowMs }, timeoutMs),
    getCounter: (key, windowMs) => call(bridge, STORE_CALLS.getCounter, { key, windowMs }, timeoutMs),
    take: (key, cost, limit) => call(bridge, STORE_CALLS.take, { key, cost, limit }, timeoutMs),
  };
}

/** Counter operations on the memory backend's table in shared memory, without the main thread. */
export function sharedMemoryCounters(table: SharedCounters, limits: StoreLimits = DEFAULT_STORE_LIMITS): CounterOperations {
  const run = <T>(operation: () => T): Result<T, StoreError> => {
    try {
      return { tag: "ok", val: operation() };
    } catch (error) {
      if (error instanceof StoreFailure) return { tag: "err", val: { tag: error.kind, val: error.message } };
      throw error;
    }
  };
  return {
    increment: (key, delta, windowMs) => run(() => (checkKey(key, limits), table.increment(key, delta, windowMs))),
    getCounter: (key, windowMs) => run(() => (checkKey(key, limits), table.getCounter(key, windowMs))),
    take: (key, cost, limit) => run(() => (checkKey(key, limits), table.take(key, cost, limit))),
  };
}

function toBucketState(state: StoreBucketState): BucketState {
  return { ...state, retryInMs: BigInt(state.retryInMs), resetInMs: BigInt(state.resetInMs) };
}

/** Worker side of `kv`. */
export function createKv(bridge: BridgeClient, timeoutMs: number): Capabilities["kv"] {
  return {
    get: (key) => call<Uint8Array | undefined>(bridge, STORE_CALLS.kvGet, { key }, timeoutMs),
    set: (key, value, ttlMs) => call<undefined>(bridge, STORE_CALLS.kvSet, { key, value, ttlMs: Math.min(Number(ttlMs), MAX_DURATION_MS) }, timeoutMs),
    delete: (key) => call<boolean>(bridge, STORE_CALLS.kvDelete, { key }, timeoutMs),
  };
}

/** A window (or bucket period) of 0 ms would divide by zero: it counts as 1 ms. */
function windowFrom(windowMs: bigint): number {
  return Math.min(Math.max(1, Number(windowMs)), MAX_DURATION_MS);
}

/** A bridge failure (timeout, main thread busy or broken) means the store cannot be reached. */
function call<T>(bridge: BridgeClient, name: string, args: unknown, timeoutMs: number): Result<T, StoreError> {
  try {
    return bridge.callSync<Result<T, StoreError>>(name, args, timeoutMs);
  } catch (error) {
    return { tag: "err", val: { tag: "unavailable", val: error instanceof Error ? error.message : String(error) } };
  }
}

function mapOk<T, U, E>(result: Result<T, E>, map: (value: T) => U): Result<U, E> {
  return result.tag === "ok" ? { tag: "ok", val: map(result.val) } : result;
}
