import { dirname, resolve } from "node:path";
import type { DestinationStream, Logger } from "pino";
import { AdminListener } from "./admin/admin-listener.js";
import type { AdminRoutes } from "./admin/admin-server.js";
import { addReloadRoutes, configRoute, defaultAdminRoutes } from "./admin/default-routes.js";
import { parseConfigObject, parseConfigText, type LoadedConfig } from "./config/load-config.js";
import type { GatewayConfig, GatewayConfigInput } from "./config/schema.js";
import { PortcullisError } from "./errors.js";
import { ListenerSet, type BoundAddress } from "./listeners/listener-set.js";
import { createLogger } from "./logging.js";
import { Observability } from "./observability/observability.js";
import type { FlowRunner } from "./proxy/flow-runner.js";
import { backendHealthReport, upstreamSites } from "./proxy/resilience/health-report.js";
import { watchConfigFile } from "./reload/config-watch.js";
import { Generation, type GatewayState } from "./reload/generation.js";
import type { PhaseClock } from "./reload/phase-clock.js";
import { StandbyWorkers } from "./reload/standby-workers.js";
import type { ChannelThread } from "./runtime/channel/channel-thread.js";
import { readConfigText, Reloader, type ReloadChanges, type ReloadOutcome, type ReloadTrigger } from "./reload/reloader.js";

export type { BoundAddress } from "./listeners/listener-set.js";

export type GatewayInput = GatewayConfigInput | LoadedConfig | { configPath: string; env?: NodeJS.ProcessEnv };

export interface StartOptions {
  /** Use this logger instead of one built from `logging:`. */
  logger?: Logger;
  /** Send log lines here instead of stdout (tests capture the access log this way). */
  logDestination?: DestinationStream;
  /** The policy hooks; no policies by default. */
  flows?: FlowRunner;
  /** Overrides `admin.host` / `admin.port` of the file, at start and every reload (the CLI's --admin-host, --admin-port). */
  admin?: { host?: string; port?: number };
  /** Policy worker threads booted ahead by the CLI (runtime/channel/early-boot.ts), kept as standby workers. */
  bootedThreads?: ChannelThread[];
}

export interface Gateway {
  /** The configuration in force (replaced by each applied reload). */
  readonly config: GatewayConfig;
  logger: Logger;
  /** The listeners open now. */
  readonly listeners: Array<BoundAddress & { name: string }>;
  /** The admin listener's address now (a reload may move it). */
  readonly admin: BoundAddress | undefined;
  /** The admin endpoints answering GET; add a path here to serve it. */
  adminRoutes: AdminRoutes;
  /** The admin endpoints answering POST (POST /reload). */
  adminActions: AdminRoutes;
  /** Which configuration serves new requests: 1 at start, one more with each applied reload. */
  readonly generation: number;
  /**
   * Reloads the configuration file the gateway was started from (see docs/operations.md): checked whole,
   * then cut over, or refused with the running configuration left serving. Never rejects.
   */
  reload(trigger?: ReloadTrigger): Promise<ReloadOutcome>;
  /** Stops accepting, lets in-flight requests finish for up to `deadlineMs`, then closes everything. */
  drain(deadlineMs: number): Promise<void>;
  /** Closes everything now, cutting in-flight requests. */
  close(): Promise<void>;
}

/** Starts every listener and the admin server; on any failure, stops what started and throws. */
export async function startGateway(input: GatewayInput, options: StartOptions = {}): Promise<Gateway> {
  const file = "configPath" in input ? input.configPath : undefined;
  const read = (text: string): LoadedConfig => {
    const env = "configPath" in input ? input.env : undefined;
    return withAdmin(parseConfigText(text, { source: file, baseDir: dirname(resolve(file!)), env }), options.admin);
  };
  const startText = file === undefined ? undefined : readConfigText(file);
  const loaded = startText === undefined ? withAdmin(resolveConfig(input), options.admin) : read(startText);
  const { config, baseDir } = loaded;
  const logger = options.logger ?? createLogger(config.logging, options.logDestination);
  const observability = new Observability(config.observability, logger);
  // Only a gateway started from a file can reload, so only it keeps standby workers.
  const standby = file !== undefined && config.reload.standbyWorkers ? new StandbyWorkers(logger, options.bootedThreads) : undefined;
  if (!standby) for (const thread of options.bootedThreads ?? []) void thread.worker.terminate();
  const state: GatewayState = { logger, observer: observability.observer, standby, draining: false, inFlight: 0, tunnels: new Set(), onIdle: undefined };
  let current: Generation;
  try {
    current = await Generation.build(loaded, state, { number: 1, flows: options.flows });
    if (options.bootedThreads && current.policies?.tookStandby) logger.info("policy worker threads booted while the gateway loaded: taken");
  } catch (error) {
    await Promise.all([observability.close(), standby?.close()]);
    throw error;
  }
  const listeners = new ListenerSet(baseDir);
  /** Generations replaced by a reload whose requests have not all ended yet. */
  const retiring = new Set<Generation>();
  let ready = false;
  let closed = false;
  let stopWatching = (): void => undefined;
  let watching = false;

  const adminRoutes = defaultAdminRoutes(
    config,
    {
      get ready() {
        return ready;
      },
      get draining() {
        return state.draining;
      },
      get inFlight() {
        return state.inFlight;
      },
    },
    pluginSchemasOf(current),
  );
  const adminActions: AdminRoutes = new Map();
  const admin = new AdminListener(adminRoutes, adminActions);
  observability.attachPolicies(current.policies);
  observability.addAdminRoutes(adminRoutes);
  adminRoutes.set("/plugins", () => ({ status: 200, body: current.policies?.describePlugins() ?? {} }));
  adminRoutes.set("/backends", () => ({ status: 200, body: backendHealthReport(current.runtimes.values()) }));
  observability.attachBackends(() => upstreamSites(current.runtimes.values()));

  const refuseIfStopping = (): void => {
    if (closed || state.draining) throw new PortcullisError("PCS_ERR_SHUTTING_DOWN", "the gateway is shutting down; the reload is refused");
  };
  /** Builds and checks the next generation beside the running one, then switches listeners and admin views to it at once. */
  const apply = async (next: LoadedConfig, clock: PhaseClock): Promise<{ generation: number; changes: ReloadChanges }> => {
    refuseIfStopping();
    const previous = current;
    const generation = await Generation.build(next, state, { number: previous.number + 1, flows: options.flows, previous, clock });
    const drainMs = previous.config.shutdown.drainTimeoutMs;
    let change: Awaited<ReturnType<ListenerSet["prepare"]>> | undefined;
    let adminChange: Awaited<ReturnType<AdminListener["prepare"]>>;
    try {
      refuseIfStopping();
      change = await listeners.prepare(generation.runtimes, drainMs);
      adminChange = await admin.prepare(previous.config.admin, next.config.admin, drainMs);
      refuseIfStopping(); // the gateway may have been closed while listeners were bound
      clock.lap("listeners");
    } catch (error) {
      await Promise.all([change?.abort(), adminChange?.abort()]);
      await generation.close([previous, ...retiring]);
      throw error;
    }
    // The cutover: synchronous, so every request accepted from here on is served by the new generation.
    change.apply();
    adminChange?.apply();
    current = generation;
    observability.attachPolicies(generation.policies);
    adminRoutes.set("/config", configRoute(next.config, pluginSchemasOf(generation)));
    logger.level = next.config.logging.level;
    if (JSON.stringify(previous.config.reload) !== JSON.stringify(next.config.reload)) watch(next.config);
    clock.lap("cutover");
    retiring.add(previous);
    previous
      .retire(drainMs, () => [current, ...retiring])
      .catch((error: unknown) => logger.error({ err: error, generation: previous.number }, "error while closing a replaced configuration"))
      .finally(() => retiring.delete(previous));
    const { kept, added, removed } = change;
    return {
      generation: generation.number,
      changes: { listeners: { kept, added, removed }, plugins: generation.plugins, needRestart: needRestart(previous.config, next.config) },
    };
  };
  const reloader = new Reloader(file, read, apply, () => current.number, logger, startText);
  const watch = (settings: GatewayConfig): void => {
    stopWatching();
    const { watch: enabled, debounceMs } = settings.reload;
    watching = file !== undefined && enabled;
    stopWatching = watching ? watchConfigFile(file!, debounceMs, (changedAt) => void reloader.reload("file", changedAt), logger) : () => undefined;
  };
  addReloadRoutes(
    adminRoutes,
    adminActions,
    reloader,
    () => watching,
    () => standby?.state ?? "off",
  );

  const closeNow = async (): Promise<void> => {
    closed = true;
    stopWatching();
    for (const socket of state.tunnels) socket.destroy();
    await Promise.all([listeners.close(), admin.close()]);
    // One at a time, each keeping what a later one shares: the last user of a runtime or store closes it.
    const older = [...retiring];
    for (const [i, old] of older.entries()) await old.close([current, ...older.slice(i + 1)]);
    await current.close();
    await Promise.all([observability.close(), standby?.close()]);
  };

  try {
    await listeners.open(current.runtimes);
    await admin.open(config.admin);
  } catch (error) {
    await closeNow();
    if (error instanceof PortcullisError) throw error;
    throw new PortcullisError("PCS_ERR_LISTEN_FAILED", `cannot start: ${(error as Error).message}`, { cause: error });
  }
  ready = true;
  watch(config);

  const drain = async (deadlineMs: number): Promise<void> => {
    state.draining = true;
    stopWatching();
    listeners.stopAccepting();
    admin.stopAccepting();
    if (state.inFlight > 0) {
      await new Promise<void>((resolveIdle) => {
        const timer = setTimeout(resolveIdle, deadlineMs);
        state.onIdle = () => {
          clearTimeout(timer);
          resolveIdle();
        };
      });
    }
    await closeNow();
  };

  return {
    get config() {
      return current.config;
    },
    logger,
    get listeners() {
      return listeners.addresses;
    },
    get admin() {
      return admin.address;
    },
    adminRoutes,
    adminActions,
    get generation() {
      return current.number;
    },
    reload: (trigger = "api") => reloader.reload(trigger),
    drain,
    close: closeNow,
  };
}

function resolveConfig(input: GatewayInput): LoadedConfig {
  if ("baseDir" in input && "config" in input) return input;
  return parseConfigObject(input);
}

/** Applies the admin overrides of the command line or environment to a loaded configuration. */
function withAdmin(loaded: LoadedConfig, override: StartOptions["admin"]): LoadedConfig {
  if (override?.host !== undefined) loaded.config.admin.host = override.host;
  if (override?.port !== undefined) loaded.config.admin.port = override.port;
  return loaded;
}

/** Plugin configuration schemas decide which `with:` fields /config hides (writeOnly). */
function pluginSchemasOf(generation: Generation): Map<string, Record<string, unknown>> {
  return new Map(
    [...(generation.policies?.plugins ?? [])].map(([name, plugin]) => [name, JSON.parse(plugin.descriptor.configSchema) as Record<string, unknown>]),
  );
}

/** Settings a reload cannot apply to a running process: they keep their value until the next start. */
function needRestart(before: GatewayConfig, after: GatewayConfig): string[] {
  const fixed = { "logging.format": (c: GatewayConfig) => c.logging.format, observability: (c: GatewayConfig) => c.observability };
  return Object.entries(fixed)
    .filter(([, of]) => JSON.stringify(of(before)) !== JSON.stringify(of(after)))
    .map(([name]) => name);
}
