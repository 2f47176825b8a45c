import { PortcullisError } from "../../errors.js";
import { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
import { RedisStore } from "./redis-store.js";
import type { SharedStore } from "./shared-store.js";

/** Selection of the shared store, as the gateway config gives it. */
export type StoreConfig = "memory" | { memory: MemoryStoreOptions } | { redis: { url: string; prefix?: string; timeoutMs?: number } };

export function createStore(config: StoreConfig = "memory"): SharedStore {
  if (config === "memory") return new MemoryStore();
  if ("memory" in config) return new MemoryStore(config.memory);
  if ("redis" in config && typeof config.redis?.url === "string") return new RedisStore(config.redis);
  throw new PortcullisError("PCS_ERR_CAPABILITY_CONFIG", `store must be "memory" or { redis: { url } }, got ${JSON.stringify(config)}`);
}
