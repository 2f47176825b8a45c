import type { Logger } from "pino";
import type { AdminRoutes } from "../admin/admin-server.js";
import type { UpstreamSite } from "../proxy/resilience/health-report.js";
import { DebugView } from "./debug-view.js";
import { GatewayMetrics, type PoolGauges } from "./gateway-metrics.js";
import type { ObservabilityConfig } from "./observability-schema.js";
import { RequestTracing } from "./request-tracing.js";
import { combineObservers, type PoolObserver, type RequestObserver } from "./request-observer.js";

/** The policy runtime as observability sees it (host/src/runtime/policy-runtime.ts). */
export interface ObservedPolicies extends PoolGauges {
  poolObserver: PoolObserver | undefined;
  /** The policies' own `metrics` capability output, Prometheus text. */
  renderMetrics(): string;
}

/**
 * A gateway's metrics, traces and live debug view, built from `observability:`. It outlives a policy
 * runtime: call attachPolicies again when the runtime is replaced (hot reload) and counters go on.
 */
export class Observability {
  readonly observer: RequestObserver;
  readonly #metrics: GatewayMetrics | undefined;
  readonly #tracing: RequestTracing | undefined;
  readonly #debug: DebugView | undefined;
  #policies: ObservedPolicies | undefined;

  /** `logger` hears of an observer that threw (once per kind of error, not per request). */
  constructor(config: ObservabilityConfig, logger?: Logger) {
    this.#metrics = config.metrics.enabled ? new GatewayMetrics() : undefined;
    this.#tracing = config.traces.enabled ? new RequestTracing(config.traces) : undefined;
    this.#debug = config.debug.enabled ? new DebugView(config.debug.maxClients) : undefined;
    const reported = new Set<string>();
    const failed = (error: unknown): void => {
      const key = String(error);
      if (reported.has(key)) return;
      reported.add(key);
      logger?.error({ err: error }, "an observability hook failed (the request goes on unobserved there)");
    };
    this.observer = combineObservers(
      [this.#metrics, this.#tracing, this.#debug].filter((o) => o !== undefined),
      failed,
    );
  }

  /** The runtime whose pool the metrics watch and whose policies' metrics /metrics merges in. */
  attachPolicies(policies: ObservedPolicies | undefined): void {
    this.#policies = policies;
    if (policies) policies.poolObserver = this.#metrics;
    if (this.#metrics) this.#metrics.pool = policies;
  }

  /** The upstream backends whose targets' health the metrics report (the configuration in force). */
  attachBackends(sites: () => Iterable<UpstreamSite>): void {
    if (this.#metrics) this.#metrics.backends = sites;
  }

  /** /metrics (the gateway's and the policies' metrics) and /debug/requests (the live debug view). */
  addAdminRoutes(routes: AdminRoutes): void {
    routes.set("/metrics", async () => {
      const own = this.#metrics ? await this.#metrics.registry.metrics() : "";
      return { status: 200, body: own + (this.#policies?.renderMetrics() ?? ""), contentType: "text/plain; version=0.0.4; charset=utf-8" };
    });
    if (this.#debug) routes.set("/debug/requests", this.#debug.subscribe);
  }

  /** Ends debug streams and exports the spans still buffered. */
  async close(): Promise<void> {
    this.#debug?.close();
    await this.#tracing?.close();
  }
}
