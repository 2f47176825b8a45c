import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ErrorCode } from "../errors.js";
import type { Exchange } from "../proxy/exchange.js";
import type { FlowResult } from "../runtime/flow-messages.js";
import type { PlanStep } from "../runtime/policy-plan.js";
import { targetState, targetUrl, type UpstreamSite } from "../proxy/resilience/health-report.js";
import type { TargetHealth } from "../proxy/resilience/target-health.js";
import { policyCallsOf } from "./policy-calls.js";
import { upstreamErrorCode, type FlowKind, type PoolObserver, type RequestObserver } from "./request-observer.js";

/** Seconds; from 1 ms (a policy-free hop on loopback) to 10 s (a slow upstream). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Methods counted under their own name; every other one is `other` (bounded label values). */
const METHOD_CLASSES = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const STATUS_CLASSES = ["1xx", "1xx", "2xx", "3xx", "4xx", "5xx"];
/** Upstream failures by kind; other codes (a refused body, a bug) are not connection errors. */
const UPSTREAM_ERROR_KINDS: Partial<Record<ErrorCode, string>> = {
  PCS_ERR_UPSTREAM_UNREACHABLE: "connect",
  PCS_ERR_UPSTREAM_RESET: "reset",
  PCS_ERR_UPSTREAM_TIMEOUT: "timeout",
};

/** The label children of one route (or of a listener's unrouted requests), created once. */
interface RouteSeries {
  labels: { listener: string; route: string };
  requests: Map<string, Counter.Internal>;
  duration: Histogram.Internal<string>;
  upstream: Histogram.Internal<string>;
}

interface PolicySeries {
  calls: Counter.Internal;
  seconds: Counter.Internal;
}

/** The policy pool the gauges read; replaced when the configuration is. */
export interface PoolGauges {
  poolGauges(): { queued: number; busy: number };
}

/**
 * The gateway's own metrics in a registry of its own (two gateways in one process do not share
 * series). Request counts and latencies are taken when a response closes, policy figures from each
 * flow's call records, pool gauges when scraped. Label children are cached per route and policy,
 * so a request costs a few map lookups and increments.
 */
export class GatewayMetrics implements RequestObserver, PoolObserver {
  readonly registry = new Registry();
  pool: PoolGauges | undefined = undefined;
  /** The upstream backends in force (replaced with the configuration), read when scraped. */
  backends: (() => Iterable<UpstreamSite>) | undefined = undefined;
  /** Ejections already counted per target: a scrape adds what happened since (a reload's new targets start at 0). */
  readonly #ejectionsSeen = new WeakMap<TargetHealth, number>();
  readonly #routes = new WeakMap<object, RouteSeries>();
  readonly #policies = new Map<string, PolicySeries>();
  readonly #requests = new Counter({
    name: "portcullis_requests_total",
    help: "Requests answered, by listener, route, method class and status class.",
    labelNames: ["listener", "route", "method", "status_class"],
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: "portcullis_request_duration_seconds",
    help: "From accepting the request to the end of the response.",
    labelNames: ["listener", "route"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly #upstreamDuration = new Histogram({
    name: "portcullis_upstream_duration_seconds",
    help: "From sending the request upstream to the last byte of its answer (or its failure).",
    labelNames: ["listener", "route"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly #upstreamErrors = new Counter({
    name: "portcullis_upstream_errors_total",
    help: "Upstream attempts that failed: connect (refused, unreachable), reset, timeout.",
    labelNames: ["listener", "route", "kind"],
    registers: [this.registry],
  });
  readonly #policyCalls = new Counter({
    name: "portcullis_policy_calls_total",
    help: "Policy calls, by policy name.",
    labelNames: ["policy"],
    registers: [this.registry],
  });
  readonly #policyFailures = new Counter({
    name: "portcullis_policy_failures_total",
    help: "Policy failures, by policy name and error code.",
    labelNames: ["policy", "code"],
    registers: [this.registry],
  });
  readonly #policySeconds = new Counter({
    name: "portcullis_policy_seconds_total",
    help: "Time spent inside policy calls, by policy name.",
    labelNames: ["policy"],
    registers: [this.registry],
  });
  readonly #crossings = new Counter({
    name: "portcullis_policy_crossings_total",
    help: "Tasks handed to the policy workers, by the flow that started them (a fault task may run the response chain too).",
    labelNames: ["flow"],
    registers: [this.registry],
  });
  readonly #workerReplacements = new Counter({
    name: "portcullis_pool_worker_replacements_total",
    help: "Policy workers started to replace one that ended (terminated past a time budget, or crashed).",
    registers: [this.registry],
  });
  readonly #quarantines = new Counter({
    name: "portcullis_policy_quarantines_total",
    help: "Quarantines started, by plugin and scope (client or plugin).",
    labelNames: ["plugin", "scope"],
    registers: [this.registry],
  });

  constructor() {
    const metrics = this;
    new Gauge({
      name: "portcullis_pool_queue_depth",
      help: "Policy flow tasks waiting for a worker.",
      registers: [this.registry],
      collect() {
        this.set(metrics.pool?.poolGauges().queued ?? 0);
      },
    });
    const targetLabels = ["listener", "route", "role", "backend", "target"];
    const eachTarget = (visit: (labels: Record<string, string>, target: UpstreamSite["backend"]["targets"][number]) => void): void => {
      for (const { listener, route, role, backend } of metrics.backends?.() ?? []) {
        for (const target of backend.targets) visit({ listener, route, role, backend: backend.name ?? "", target: targetUrl(target) }, target);
      }
    };
    new Gauge({
      name: "portcullis_backend_target_healthy",
      help: "1 while an upstream target is in rotation, 0 while ejected or failing its active health checks.",
      labelNames: targetLabels,
      registers: [this.registry],
      collect() {
        this.reset(); // targets removed by a reload disappear
        const now = performance.now();
        eachTarget((labels, target) => this.set(labels, targetState(target, now) === "healthy" ? 1 : 0));
      },
    });
    new Counter({
      name: "portcullis_backend_ejections_total",
      help: "Passive outlier ejections of an upstream target.",
      labelNames: targetLabels,
      registers: [this.registry],
      collect() {
        eachTarget((labels, { health }) => {
          const added = health.ejectionsTotal - (metrics.#ejectionsSeen.get(health) ?? 0);
          metrics.#ejectionsSeen.set(health, health.ejectionsTotal);
          this.inc(labels, added);
        });
      },
    });
    new Gauge({
      name: "portcullis_pool_busy_workers",
      help: "Policy workers running at least one flow task.",
      registers: [this.registry],
      collect() {
        this.set(metrics.pool?.poolGauges().busy ?? 0);
      },
    });
  }

  onRequestStart(): void {}

  onUpstreamStart(): void {}

  onUpstreamError(ex: Exchange, error: Error): void {
    const code = upstreamErrorCode(ex, error);
    const kind = code && UPSTREAM_ERROR_KINDS[code];
    if (kind) this.#upstreamErrors.inc({ ...this.#series(ex).labels, kind });
  }

  onPolicyFlow(_ex: Exchange, flow: FlowKind, steps: readonly PlanStep[], result: FlowResult): void {
    this.#crossings.inc({ flow });
    for (const call of policyCallsOf(steps, result)) {
      const series = this.#policy(call.policy);
      if (call.called) series.calls.inc();
      if (call.failure !== undefined) this.#policyFailures.inc({ policy: call.policy, code: call.failure });
      if (call.ms !== undefined) series.seconds.inc(call.ms / 1000);
    }
  }

  onRequestEnd(ex: Exchange, status: number): void {
    const series = this.#series(ex);
    const method = METHOD_CLASSES.has(ex.method) ? ex.method : "other";
    const statusClass = STATUS_CLASSES[Math.trunc(status / 100)] ?? "5xx";
    const key = `${method} ${statusClass}`;
    let requests = series.requests.get(key);
    if (!requests) {
      requests = this.#requests.labels({ ...series.labels, method, status_class: statusClass });
      series.requests.set(key, requests);
    }
    requests.inc();
    series.duration.observe((performance.now() - ex.startedAt) / 1000);
    if (ex.upstreamStartedAt !== 0) series.upstream.observe(ex.upstreamMs / 1000);
  }

  wantsCallDetail(): boolean {
    return false;
  }

  onWorkerReplaced(): void {
    this.#workerReplacements.inc();
  }

  onQuarantine(plugin: string, scope: "client" | "plugin"): void {
    this.#quarantines.inc({ plugin, scope });
  }

  #series(ex: Exchange): RouteSeries {
    const owner: object = ex.route ?? ex.listener;
    let series = this.#routes.get(owner);
    if (!series) {
      const labels = { listener: ex.listener.name, route: ex.route?.name ?? "" };
      series = {
        labels,
        requests: new Map(),
        duration: this.#duration.labels(labels),
        upstream: this.#upstreamDuration.labels(labels),
      };
      this.#routes.set(owner, series);
    }
    return series;
  }

  #policy(policy: string): PolicySeries {
    let series = this.#policies.get(policy);
    if (!series) {
      series = { calls: this.#policyCalls.labels({ policy }), seconds: this.#policySeconds.labels({ policy }) };
      this.#policies.set(policy, series);
    }
    return series;
  }
}
