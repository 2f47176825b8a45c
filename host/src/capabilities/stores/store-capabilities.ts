import type { BridgeClient } from "../bridge/bridge-client.js";
import type { BucketState, Capabilities, Counter, Result, StoreError } from "../contract.js";
import type { CounterState } from "./shared-store.js";
import type { BucketLimit, BucketState as StoreBucketState } from "./token-bucket.js";
import { STORE_CALLS } from "./store-handlers.js";

/** Longest window or TTL: ten years (beyond it Redis refuses the expiry, and nothing needs more). */
const MAX_DURATION_MS = 10 * 366 * 24 * 3600 * 1000;

/** Worker side of `counters`: every call is a bridged call to the main thread's store. */
export function createCounters(bridge: BridgeClient, timeoutMs: number): Capabilities["counters"] {
  const toCounter = (state: CounterState): Counter => ({
    value: BigInt(state.value),
    resetInMs: BigInt(Math.max(0, state.resetInMs)),
  });
  return {
    increment(key, delta, windowMs) {
      const args = { key, delta: Number(delta), windowMs: windowFrom(windowMs) };
      return mapOk(call<CounterState>(bridge, STORE_CALLS.increment, args, timeoutMs), toCounter);
    },
    get(key, windowMs) {
      const args = { key, windowMs: windowFrom(windowMs) };
      return mapOk(call<CounterState>(bridge, STORE_CALLS.getCounter, args, timeoutMs), toCounter);
    },
    take(key, cost, limit) {
      const bounded: BucketLimit = { rate: Math.max(1, limit.rate), periodMs: windowFrom(limit.periodMs), burst: Math.max(1, limit.burst) };
      return mapOk(call<StoreBucketState>(bridge, STORE_CALLS.take, { key, cost, limit: bounded }, timeoutMs), toBucketState);
    },
  };
}

function toBucketState(state: StoreBucketState): BucketState {
  return { ...state, retryInMs: BigInt(state.retryInMs), resetInMs: BigInt(state.resetInMs) };
}

/** Worker side of `kv`. */
export function createKv(bridge: BridgeClient, timeoutMs: number): Capabilities["kv"] {
  return {
    get: (key) => call<Uint8Array | undefined>(bridge, STORE_CALLS.kvGet, { key }, timeoutMs),
    set: (key, value, ttlMs) =>
      call<undefined>(bridge, STORE_CALLS.kvSet, { key, value, ttlMs: Math.min(Number(ttlMs), MAX_DURATION_MS) }, timeoutMs),
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
