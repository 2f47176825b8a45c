import type { Logger } from "pino";
import { Pool } from "undici";
import type { BackendBaseConfig } from "../config/schema.js";
import { backendTlsOptions, tlsKey } from "./resilience/backend-tls.js";
import type { HealthChecker } from "./resilience/health-checker.js";

/**
 * One undici Pool per (origin, pool settings, connect timeout, TLS settings), shared by every backend that
 * points at the same upstream with those settings. Header and body timeouts differ per backend, so they go
 * on each request. Also owns the backends' health checkers, so closing stops them first.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #checkers: HealthChecker[] = [];

  /** `baseDir`: where relative backend TLS file paths start (the config file's folder). */
  constructor(
    private readonly baseDir = process.cwd(),
    /** Ejections and health changes are logged here. */
    readonly logger?: Logger,
  ) {}

  get(origin: string, backend: BackendBaseConfig): Pool {
    const tls = origin.startsWith("https:") ? backend.tls : undefined;
    const key = `${origin}|${backend.pool.connections}|${backend.pool.keepAliveMs}|${backend.timeouts.connectMs}|${tlsKey(tls)}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connections: backend.pool.connections,
        keepAliveTimeout: backend.pool.keepAliveMs,
        connect: { timeout: backend.timeouts.connectMs, ...backendTlsOptions(tls, this.baseDir) },
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  addChecker(checker: HealthChecker): void {
    this.#checkers.push(checker);
  }

  async close(): Promise<void> {
    for (const checker of this.#checkers.splice(0)) checker.stop();
    await Promise.all([...this.#pools.values()].map((pool) => pool.destroy()));
    this.#pools.clear();
  }
}
