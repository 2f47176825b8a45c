import { Pool } from "undici";
import type { BackendConfig } from "../config/schema.js";

/**
 * One undici Pool per (origin, pool settings, connect timeout), shared by every backend that points at the
 * same upstream with those settings. Header and body timeouts differ per backend, so they go on each request.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();

  get(origin: string, backend: BackendConfig): Pool {
    const key = `${origin}|${backend.pool.connections}|${backend.pool.keepAliveMs}|${backend.timeouts.connectMs}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connections: backend.pool.connections,
        keepAliveTimeout: backend.pool.keepAliveMs,
        connect: { timeout: backend.timeouts.connectMs },
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.destroy()));
    this.#pools.clear();
  }
}
