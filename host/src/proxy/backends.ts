import type { Pool } from "undici";
import type { BackendBaseConfig, BackendConfig, RouteConfig } from "../config/schema.js";
import { Balancer, smoothWeighted, type BalancedTarget } from "./resilience/balancer.js";
import { HealthChecker } from "./resilience/health-checker.js";
import { RetryBudget } from "./resilience/retry-budget.js";
import { OutlierDetector, TargetHealth } from "./resilience/target-health.js";
import type { UpstreamPools } from "./upstream-pools.js";

/** A route's (or operation's) backend, ready to serve. */
export type BackendRuntime = UpstreamBackend | EchoBackend | DirectResponseBackend | SplitBackend;

export interface UpstreamTarget extends BalancedTarget {
  /** Position in the backend's targets (outlier detection keys on it). */
  index: number;
  pool: Pool;
  /** scheme://host:port, for logs and WebSocket handshakes. */
  origin: string;
  /** The target URL's path without a trailing slash, prepended to every request path ('' for '/'). */
  basePath: string;
  /** host[:port] of the target, the default upstream Host header. */
  authority: string;
}

export interface UpstreamBackend {
  kind: "upstream";
  name: string | undefined;
  targets: UpstreamTarget[];
  balancer: Balancer<UpstreamTarget>;
  outliers: OutlierDetector;
  budget: RetryBudget;
  /** Methods that may be retried (retries.methods). */
  retryMethods: ReadonlySet<string>;
  config: BackendBaseConfig;
  /** What answers when no target is available (undefined: 503 PCS_ERR_NO_HEALTHY_UPSTREAM). */
  fallback: DirectResponseBackend | UpstreamBackend | undefined;
  mirror: { backend: UpstreamBackend; share: number } | undefined;
  /** Prefix of the request path replaced by pathPrefixRewrite (undefined: whole path, for exact/regex routes). */
  rewrittenPrefix: string | undefined;
}

export interface EchoBackend {
  kind: "echo";
  name: string | undefined;
}

export interface DirectResponseBackend {
  kind: "direct";
  name: string | undefined;
  status: number;
  headers: string[];
  body: Buffer;
}

/** A weighted traffic split: each request goes to one of `choices` (smooth weighted round-robin). */
export interface SplitBackend {
  kind: "split";
  name: string | undefined;
  choices: Array<{ weight: number; currentWeight: number; backend: BackendRuntime }>;
}

export function createBackend(config: BackendConfig, route: RouteConfig, pools: UpstreamPools): BackendRuntime {
  if (config.split) {
    const choices = config.split.map((choice) => ({
      weight: choice.weight,
      currentWeight: 0,
      backend: createBackend(choice.backend, route, pools),
    }));
    return { kind: "split", name: config.name, choices };
  }
  const plain = createPlainBackend(config, route, pools);
  if (plain.kind !== "upstream") return plain;
  if (config.fallback?.directResponse) plain.fallback = directBackend(config.fallback.directResponse, config.name);
  else if (config.fallback?.backend) plain.fallback = createPlainBackend(config.fallback.backend, route, pools) as UpstreamBackend;
  if (config.mirror) {
    plain.mirror = { backend: createPlainBackend(config.mirror.backend, route, pools) as UpstreamBackend, share: config.mirror.share };
  }
  return plain;
}

function createPlainBackend(config: BackendBaseConfig, route: RouteConfig, pools: UpstreamPools): UpstreamBackend | EchoBackend | DirectResponseBackend {
  if (config.echo) return { kind: "echo", name: config.name };
  if (config.directResponse) return directBackend(config.directResponse, config.name);
  const specs = config.url !== undefined ? [{ url: config.url, weight: 1, priority: 0 }] : (config.targets ?? []);
  const targets = specs.map((spec, index): UpstreamTarget => {
    const url = new URL(spec.url);
    return {
      index,
      pool: pools.get(url.origin, config),
      origin: url.origin,
      basePath: url.pathname === "/" ? "" : url.pathname.replace(/\/$/, ""),
      authority: url.host,
      weight: spec.weight,
      priority: spec.priority,
      health: new TargetHealth(),
      active: 0,
      currentWeight: 0,
    };
  });
  const label = config.name ?? route.name;
  const { logger } = pools;
  const balancer = new Balancer(targets, config.loadBalancing.policy, config.loadBalancing.hashKey);
  const outliers = new OutlierDetector(
    config.outlierDetection,
    targets.map((t) => t.health),
    (index, forMs) => {
      balancer.invalidate();
      logger?.warn({ backend: label, target: targets[index]!.origin, forMs }, "upstream target ejected");
    },
  );
  if (config.healthCheck) {
    const checker = new HealthChecker(config.healthCheck, targets, (target, healthy) => {
      balancer.invalidate();
      logger?.warn({ backend: label, target: (target as UpstreamTarget).origin, healthy }, "upstream target health changed");
    });
    pools.addChecker(checker);
  }
  const { retries } = config;
  const path = route.match.path;
  return {
    kind: "upstream",
    name: config.name,
    targets,
    balancer,
    outliers,
    budget: new RetryBudget(retries.budget.ratio, retries.budget.minRetries),
    retryMethods: new Set(retries.methods.map((m) => m.toUpperCase())),
    config,
    fallback: undefined,
    mirror: undefined,
    rewrittenPrefix: path.prefix ?? (path.exact === undefined && path.regex === undefined ? "/" : undefined),
  };
}

function directBackend(config: NonNullable<BackendBaseConfig["directResponse"]>, name: string | undefined): DirectResponseBackend {
  const { status, headers = {}, body = "" } = config;
  return { kind: "direct", name, status, headers: Object.entries(headers).flat(), body: Buffer.from(body) };
}

/** The backend a split sends this request to (a split of splits is not configurable). */
export function splitChoice(backend: SplitBackend): BackendRuntime {
  return smoothWeighted(backend.choices).backend;
}

/** Any target, preferring an available one (WebSocket handshakes, which have no fallback). */
export function pickTarget(backend: UpstreamBackend): UpstreamTarget {
  return backend.balancer.pick(undefined) ?? backend.targets[0]!;
}

/** The path (with query) to request from the target: base path + the request path after prefix rewriting. */
export function upstreamPath(backend: UpstreamBackend, target: UpstreamTarget, path: string, query: string): string {
  let rewritten = path;
  const replacement = backend.config.pathPrefixRewrite;
  if (replacement !== undefined) {
    const prefix = backend.rewrittenPrefix;
    if (prefix === undefined) rewritten = replacement;
    else {
      const rest = path.slice(prefix.endsWith("/") ? prefix.length - 1 : prefix.length);
      rewritten = replacement.endsWith("/") && rest.startsWith("/") ? replacement + rest.slice(1) : replacement + rest;
    }
  }
  const full = target.basePath + rewritten;
  return query ? `${full}?${query}` : full;
}
