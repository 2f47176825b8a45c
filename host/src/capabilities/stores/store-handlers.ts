import type { BridgeServer } from "../bridge/bridge-server.js";
import type { Result, StoreError as StoreErrorVariant } from "../contract.js";
import { StoreError, type SharedStore } from "./shared-store.js";
import type { BucketLimit } from "./token-bucket.js";

/** Bridge handler names of the store, shared by both sides. */
export const STORE_CALLS = {
  increment: "counters.increment",
  getCounter: "counters.get",
  take: "counters.take",
  kvGet: "kv.get",
  kvSet: "kv.set",
  kvDelete: "kv.delete",
} as const;

/** Main-thread side: serves the store to workers, turning store failures into `store-error` variants. */
export function registerStoreHandlers(server: BridgeServer, store: SharedStore): void {
  server
    .register(STORE_CALLS.increment, (a: { key: string; delta: number; windowMs: number }) => settle(store.increment(a.key, a.delta, a.windowMs)))
    .register(STORE_CALLS.getCounter, (a: { key: string; windowMs: number }) => settle(store.getCounter(a.key, a.windowMs)))
    .register(STORE_CALLS.take, (a: { key: string; cost: number; limit: BucketLimit }) => settle(store.take(a.key, a.cost, a.limit)))
    .register(STORE_CALLS.kvGet, (a: { key: string }) => settle(store.kvGet(a.key)))
    .register(STORE_CALLS.kvSet, (a: { key: string; value: Uint8Array; ttlMs: number }) => settle(store.kvSet(a.key, a.value, a.ttlMs)))
    .register(STORE_CALLS.kvDelete, (a: { key: string }) => settle(store.kvDelete(a.key)));
}

async function settle<T>(operation: Promise<T>): Promise<Result<T, StoreErrorVariant>> {
  try {
    return { tag: "ok", val: await operation };
  } catch (error) {
    if (error instanceof StoreError) return { tag: "err", val: { tag: error.kind, val: error.message } };
    throw error;
  }
}
