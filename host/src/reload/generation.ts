import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import type { LoadedConfig } from "../config/load-config.js";
import type { GatewayConfig, RouteConfig } from "../config/schema.js";
import type { RequestObserver } from "../observability/request-observer.js";
import { createListenerRuntime, type GatewayContext, type ListenerRuntime } from "../listeners/listener-runtime.js";
import { compileAccessLogMetadata } from "../proxy/access-log-metadata.js";
import { NO_FLOWS, type FlowRunner } from "../proxy/flow-runner.js";
import { LoadShedder } from "../proxy/resilience/load-shedder.js";
import { UpstreamPools } from "../proxy/upstream-pools.js";
import { PolicyFlows } from "../runtime/policy-flows.js";
import { PolicyRuntime, preparePolicies, type StandbyPool } from "../runtime/policy-runtime.js";
import type { PhaseClock } from "./phase-clock.js";
import { reuseFrom } from "./plugin-reuse.js";

/** The process-wide state every generation of one gateway shares. */
export interface GatewayState {
  logger: Logger;
  draining: boolean;
  /** Requests (and WebSocket tunnels) in flight on every generation. */
  inFlight: number;
  tunnels: Set<Duplex>;
  /** Called whenever the gateway-wide inFlight drops to zero (used by drain). */
  onIdle: (() => void) | undefined;
  /** Metrics, traces and the live debug view: one for the gateway's life. */
  observer?: RequestObserver;
  /** Policy workers booted ahead of the next reload (reload.standbyWorkers). */
  standby?: StandbyPool;
}

/** How a generation's plugins were obtained: taken from the running one, or loaded and compiled. */
export interface PluginCounts {
  reused: number;
  loaded: number;
}

/**
 * One configuration in service: the listener runtimes, policy runtime and upstream pools built from it.
 * A request keeps the generation it was accepted on until it ends; a reload builds the next generation
 * beside the running one (so a refused configuration leaves nothing behind) and retires the old one when
 * its last request ends.
 */
export class Generation {
  readonly context: GatewayContext;
  readonly runtimes = new Map<string, ListenerRuntime>();
  readonly pools: UpstreamPools;
  #inFlight = 0;
  #onIdle: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  private constructor(
    readonly number: number,
    readonly loaded: LoadedConfig,
    readonly policies: PolicyRuntime | undefined,
    readonly plugins: PluginCounts,
    flows: FlowRunner,
    state: GatewayState,
  ) {
    const { config, baseDir } = loaded;
    const count = (delta: number): void => {
      this.#inFlight += delta;
      if (this.#inFlight === 0) this.#onIdle?.();
    };
    this.context = {
      logger: state.logger,
      flows,
      tunnels: state.tunnels,
      observer: state.observer,
      accessLogMetadata: compileAccessLogMetadata(config.logging.accessLog.metadata),
      shedder: new LoadShedder(config.loadShedding),
      get draining() {
        return state.draining;
      },
      // The pipeline counts `inFlight++` and `--inFlight` on the context: the gateway-wide total moves,
      // and this generation's own count with it (retirement waits for the latter).
      get inFlight() {
        return state.inFlight;
      },
      set inFlight(value: number) {
        const delta = value - state.inFlight;
        state.inFlight = value;
        count(delta);
      },
      get onIdle() {
        return state.onIdle;
      },
    };
    this.pools = new UpstreamPools(baseDir, state.logger);
    for (const listener of config.listeners) this.runtimes.set(listener.name, createListenerRuntime(listener, this.context, this.pools));
  }

  /**
   * Builds a generation: loads and checks the plugins (reusing the previous generation's unchanged ones
   * and, when `stores` is unchanged, its capability services), warms every policy instance up, compiles
   * the listeners. Throws, having closed what it started, when any of it fails.
   */
  static async build(
    loaded: LoadedConfig,
    state: GatewayState,
    options: { number: number; flows?: FlowRunner; previous?: Generation; clock?: PhaseClock },
  ): Promise<Generation> {
    const { previous } = options;
    const plugins: PluginCounts = { reused: 0, loaded: 0 };
    const keep = previous !== undefined && !options.flows && samePolicyInputs(previous.config, loaded.config);
    if (keep) plugins.reused = Object.keys(loaded.config.plugins).length;
    const policies = options.flows ? undefined : keep ? previous.policies : await startPolicies(loaded, state, previous, plugins, options.clock);
    const flows = options.flows ?? (policies ? new PolicyFlows(policies, loaded.config.runtime.maxBodyBytes) : undefined);
    try {
      return new Generation(options.number, loaded, policies, plugins, flows ?? NO_FLOWS, state);
    } catch (error) {
      if (policies !== previous?.policies) await policies?.close(sharesServices(policies, previous));
      throw error;
    }
  }

  get config(): LoadedConfig["config"] {
    return this.loaded.config;
  }

  /** This generation's own requests in flight. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * After a reload: waits for this generation's requests to end (at most `deadlineMs`; past it they are
   * cut like at shutdown), then closes what no generation still in service (`live()`) shares.
   */
  async retire(deadlineMs: number, live: () => readonly Generation[]): Promise<void> {
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        this.#onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.close(live().filter((generation) => generation !== this));
  }

  /**
   * Closes the pools and the policy runtime (once; later calls wait for the first), except the runtime or
   * capability services that one of `others` (generations still in service) shares.
   */
  close(others: readonly Generation[] = []): Promise<void> {
    this.#closed ??= (async () => {
      this.context.shedder.stop();
      await this.pools.close();
      const { policies } = this;
      if (!policies || others.some((other) => other.policies === policies)) return;
      await policies.close(others.some((other) => sharesServices(policies, other)));
    })();
    return this.#closed;
  }
}

/** Whether `policies` uses the same capability services as `other`'s (handed over at a reload). */
function sharesServices(policies: PolicyRuntime | undefined, other: Generation | undefined): boolean {
  return policies !== undefined && policies.services === other?.policies?.services;
}

/**
 * Whether a configuration changes nothing the policy runtime was built from (plugins, policies and the
 * routes they are attached to, runtime, stores, log level): then the next generation keeps the running
 * runtime, workers and instances included, and a reload costs no warm-up. Backends and listener addresses,
 * TLS and limits are not part of it.
 */
function samePolicyInputs(a: GatewayConfig, b: GatewayConfig): boolean {
  const inputs = (c: GatewayConfig) =>
    JSON.stringify([
      c.plugins,
      c.runtime,
      c.stores,
      c.logging.level,
      // Workers read a listener's paths and routes (not its address, TLS or limits) to re-route after policy edits.
      c.listeners.map(({ host, port, tls, limits, ...listener }) => ({ ...listener, routes: listener.routes.map(withoutBackends) })),
    ]);
  return inputs(a) === inputs(b);
}

function withoutBackends(route: RouteConfig): unknown {
  const operations = Object.fromEntries(Object.entries(route.operations ?? {}).map(([method, op]) => [method, { ...op, backend: undefined }]));
  return { ...route, backend: undefined, operations };
}

/** Loads the plugins and starts the policy pool, or returns undefined when no policy is attached. */
async function startPolicies(
  loaded: LoadedConfig,
  { logger, standby }: GatewayState,
  previous: Generation | undefined,
  counts: PluginCounts,
  clock: PhaseClock | undefined,
): Promise<PolicyRuntime | undefined> {
  if (Object.keys(loaded.config.plugins).length === 0) return undefined;
  const running = previous?.policies;
  const prepared = await preparePolicies(loaded, logger, reuseFrom(running?.plugins, counts));
  clock?.lap("plugins");
  // Counters and caches live in the capability services: the next runtime takes them over when `stores` is unchanged.
  const sameStores = running && JSON.stringify(previous!.config.stores) === JSON.stringify(loaded.config.stores);
  const shared = sameStores ? running.services : undefined;
  const runtime = PolicyRuntime.start(prepared, loaded, logger, shared, standby);
  if (!runtime) return undefined;
  try {
    await runtime.warmUp(loaded);
    clock?.lap(runtime.tookStandby ? "standbyWorkers" : "workers");
  } catch (error) {
    await runtime.close(shared !== undefined);
    throw error;
  }
  return runtime;
}
