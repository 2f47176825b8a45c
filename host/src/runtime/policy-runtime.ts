import { resolve } from "node:path";
import { Piscina } from "piscina";
import type { Logger } from "pino";
import { ConfigError, type LoadedConfig } from "../config/load-config.js";
import type { GatewayConfig } from "../config/schema.js";
import { locatePluginLoadError } from "../config/plugin-load-error.js";
import { startCapabilityServices, type CapabilityServices, type StoreConfig } from "../capabilities/index.js";
import type {
  FaultTask,
  FlowResult,
  FlowTask,
  PolicyFailure,
  RequestTask,
  ResponseTask,
  WarmUpFailure,
  WarmUpReport,
  WarmUpTask,
  WorkerSetup,
} from "./flow-messages.js";
import { describeCompiled, loadPlugin, type CompiledPlugin, type LoadedPlugin } from "./plugin-loader.js";
import { PortcullisError } from "../errors.js";
import { buildPolicyPlan, chainsFor, EMPTY_CHAINS, firstOrigins, type FlowChains, type PolicyPlan, type PlanStep } from "./policy-plan.js";
import { FlowDeadline, ProgressSlots } from "./flow-deadline.js";
import { PluginStats } from "./plugin-stats.js";
import type { QuarantineScope } from "./quarantine.js";
import { validatePlan } from "./validate-plan.js";
import { BodyNeedTable, exceedsDescriptor, type NeedCode } from "./body-needs.js";
import type { PoolObserver } from "../observability/request-observer.js";
import { PolicyChannel, type ChannelFailure, type ChannelStats } from "./channel/policy-channel.js";
import type { ChannelThread } from "./channel/channel-thread.js";
import { defaultWorkerCount } from "./channel/early-boot.js";

/** Workers run compiled JS; when this module runs from host/src (tests), the build in host/dist is used. */
const WORKER_FILE = new URL("./worker/policy-worker.js", import.meta.url.replace("/host/src/", "/host/dist/"));

/**
 * The policy runtime of one gateway: plugins loaded and compiled once, the plan of every chain,
 * the worker pool running flows, and the shared capability services behind the bridge.
 */
export class PolicyRuntime {
  /** One of the two: piscina's pool, or the channel (runtime.channel). */
  readonly #pool: Piscina | undefined;
  readonly #channel: PolicyChannel | undefined;
  readonly #stats: PluginStats;
  readonly #slots: ProgressSlots;
  readonly #bodyNeeds: BodyNeedTable;
  readonly queueTimeoutMs: number;
  readonly loadTimeoutMs: number;
  /** Told of worker replacements and quarantines (host/src/observability: the gateway's metrics). */
  poolObserver: PoolObserver | undefined = undefined;
  /** Whether the workers were booted standby ones (hot reload), rather than started for this runtime. */
  readonly tookStandby: boolean;
  #workersStarted = 0;

  private constructor(
    readonly plan: PolicyPlan,
    readonly plugins: Map<string, LoadedPlugin>,
    readonly services: CapabilityServices,
    setup: Omit<WorkerSetup, "progress" | "bodyNeeds">,
    workers: number,
    private readonly logger: Logger,
    runtime: GatewayConfig["runtime"],
    standby: StandbyPool | undefined,
  ) {
    this.queueTimeoutMs = runtime.queueTimeoutMs;
    this.loadTimeoutMs = runtime.loadTimeoutMs;
    this.#bodyNeeds = BodyNeedTable.create(plan.instances.length);
    this.#stats = new PluginStats(plan, plugins, runtime.quarantine, this.#bodyNeeds);
    this.#slots = new ProgressSlots();
    if (channelOf(runtime) === "direct") {
      const booted = standby?.takeThreads(workers);
      this.tookStandby = booted !== undefined;
      this.#channel = new PolicyChannel({
        workers,
        tasksPerWorker: runtime.tasksPerWorker + (mayCallOut(setup) ? CALL_OUT_TASKS_PER_WORKER : 0),
        queueTimeoutMs: runtime.queueTimeoutMs,
        loadTimeoutMs: runtime.loadTimeoutMs,
        setup: { ...setup, progress: this.#slots.buffer, bodyNeeds: this.#bodyNeeds.buffer },
        booted,
        slots: this.#slots,
        onMessage: (message) => services.accept(message),
        onWorkerReplaced: () => this.poolObserver?.onWorkerReplaced(),
        onError: (error) => logger.error({ err: error }, "policy worker failed"),
      });
      return;
    }
    const options = {
      filename: WORKER_FILE.href,
      minThreads: workers,
      maxThreads: workers,
      // Flows run one at a time in a worker (they block on synchronous host calls); the others
      // queue in its port, so a busy worker picks the next one up without a thread wake-up.
      // A flow waiting for its call-outs (http.dispatch) lets its worker run others: room for those waiting.
      concurrentTasksPerWorker: runtime.tasksPerWorker + (mayCallOut(setup) ? CALL_OUT_TASKS_PER_WORKER : 0),
      idleTimeout: Number.POSITIVE_INFINITY,
    };
    const workerData: WorkerSetup = { ...setup, progress: this.#slots.buffer, bodyNeeds: this.#bodyNeeds.buffer };
    const ready = standby?.take(options, workerData);
    this.#pool = ready ?? new Piscina({ ...options, workerData });
    this.tookStandby = ready !== undefined;
    if (ready) this.#workersStarted = workers; // a standby pool is handed over with all its workers started
    this.#pool.on("message", (message: unknown) => services.accept(message));
    this.#pool.on("error", (error: unknown) => logger.error({ err: error }, "policy worker failed"));
    this.#pool.on("workerCreate", () => {
      if (++this.#workersStarted > workers) this.poolObserver?.onWorkerReplaced();
    });
  }

  /**
   * Starts the pool for a prepared configuration. Returns undefined when no policy is attached
   * anywhere, so the gateway runs with no pool at all.
   */
  static start(
    prepared: PreparedPolicies,
    loaded: LoadedConfig,
    logger: Logger,
    shared?: CapabilityServices,
    standby?: StandbyPool,
  ): PolicyRuntime | undefined {
    const { config, baseDir } = loaded;
    const { plan, plugins } = prepared;
    if (plan.instances.length === 0) return undefined;
    // Hot reload passes the running runtime's services when `stores` is unchanged, so counters and caches survive.
    const services = shared ?? startCapabilityServices({ store: storeConfig(config) });
    const setup: Omit<WorkerSetup, "progress" | "bodyNeeds"> = {
      plugins: Object.fromEntries([...plugins].map(([name, p]) => [name, { module: p.module, grants: p.config.capabilities, limits: p.config.limits }])),
      plan,
      listeners: config.listeners,
      baseDir,
      bridgeTimeoutMs: config.stores.redis?.timeoutMs ?? 1_000,
      logLevel: config.logging.level,
      sharedCounters: services.sharedCounters,
    };
    const workers = config.runtime.workers ?? defaultWorkerCount();
    return new PolicyRuntime(plan, plugins, services, setup, workers, logger, config.runtime, standby);
  }

  /** The chains that apply after route selection (listener request excluded). */
  chains(listener: string, route: string | undefined, method: string): FlowChains {
    const plan = this.plan.listeners[listener];
    return plan ? chainsFor(plan, route, method) : EMPTY_CHAINS;
  }

  listenerRequestChain(listener: string): PlanStep[] {
    return this.plan.listeners[listener]?.listenerRequest ?? [];
  }

  /** What the chain needs of the request body: the largest need its configurations answered at warm-up. */
  requestBodyNeed(steps: readonly PlanStep[]): NeedCode {
    return this.#bodyNeeds.requestNeed(steps);
  }

  responseBodyNeed(steps: readonly PlanStep[]): NeedCode {
    return this.#bodyNeeds.responseNeed(steps);
  }

  /**
   * Runs one flow as one pool task, within the time budget of the policies it may call. A task
   * that never started because its worker died (terminated for another flow's budget, which it was
   * queued behind) is run again: nothing of it ran, so nothing runs twice. `client` is who failures
   * are charged to (see Quarantine and clientKeyOf).
   */
  async run(
    task: TaskInput<RequestTask> | TaskInput<ResponseTask> | TaskInput<FaultTask>,
    steps: readonly PlanStep[],
    client: string,
    attempt = 1,
  ): Promise<FlowResult> {
    const budgetMs = steps.reduce((sum, s) => sum + this.#stats.limitsOf(s.instance).timeoutMs, 0);
    if (this.#channel) {
      const answer = await this.#channel.run(completed(task, this.#stats.quarantined(steps, client), -1), Math.max(1, budgetMs));
      if (answer.outcome === undefined) return this.#failedTask(answer.error, steps, answer, task.metadata, client);
      return this.#finished(answer, steps, client);
    }
    const slot = this.#slots.take();
    const deadline = new FlowDeadline(this.#slots, slot, Math.max(1, budgetMs), this.queueTimeoutMs, this.loadTimeoutMs, this.#terminateWorker);
    const full = completed(task, this.#stats.quarantined(steps, client), slot);
    let result: FlowResult | undefined;
    try {
      // With a slot the deadline watches the task through it; without one it aborts the pool task.
      const pending = this.#pool!.run(full, slot < 0 ? { signal: deadline as unknown as AbortSignal } : {}) as Promise<FlowResult>;
      result = slot < 0 ? await pending : await Promise.race([pending, deadline.expired]);
      if (result === undefined) {
        pending.catch(ignore); // the abandoned or terminated task's own answer is no longer wanted
        return this.#failedTask(undefined, steps, deadline, task.metadata, client);
      }
    } catch (error) {
      if (deadline.reason === undefined && deadline.neverStarted && attempt < MAX_ATTEMPTS) {
        deadline.done(); // its slot is free again before the next run takes one
        return this.run(task, steps, client, attempt + 1);
      }
      return this.#failedTask(error, steps, deadline, task.metadata, client);
    } finally {
      deadline.done();
    }
    return this.#finished(result, steps, client);
  }

  /** Counts the calls of a flow that ran (quarantine) and logs the policies skipped. */
  #finished(result: FlowResult, steps: readonly PlanStep[], client: string): FlowResult {
    this.#stats.record(result.calls, client, this.#onQuarantine);
    if (result.outcome === "failed") this.#stats.noteFailure(result.failure);
    for (const skipped of result.skipped) this.#stats.noteFailure(skipped);
    if (result.outcome === "failed" && result.failure.code === "PCS_ERR_POLICY_QUARANTINED") {
      result.failure.retryAfterSeconds = Math.max(1, Math.ceil(this.#stats.quarantineRemainingMs(steps, client) / 1000));
    }
    for (const skipped of result.skipped) this.logger.warn({ policy: skipped.policy, code: skipped.code }, `${skipped.message} (failure mode open: skipped)`);
    return result;
  }

  /** Ends a flow that ran past its budget by terminating the worker thread running it. */
  readonly #terminateWorker = (threadId: number): void => {
    const worker = this.#pool?.threads.find((thread) => thread.threadId === threadId);
    void worker?.terminate();
  };

  readonly #onQuarantine = (plugin: string, scope: QuarantineScope, ms: number): void => {
    const whom = scope === "plugin" ? "for every client" : "for one client";
    this.poolObserver?.onQuarantine(plugin, scope);
    this.logger.warn({ plugin, code: "PCS_ERR_POLICY_QUARANTINED", scope, ms }, `plugin "${plugin}" quarantined ${whom} for ${ms} ms after repeated failures`);
  };

  /** A task that did not complete: its budget or queue time ran out, or its worker died. */
  #failedTask(error: unknown, steps: readonly PlanStep[], deadline: FlowDeadline | ChannelFailure, metadata: [string, string][], client: string): FlowResult {
    const step = steps.find((s) => s.instance === deadline.runningInstance) ?? steps[0]!;
    let failure: PolicyFailure;
    if (deadline.reason === "queue") {
      failure = {
        code: "PCS_ERR_POLICY_POOL_BUSY",
        policy: step.name,
        instance: step.instance,
        message: `every policy worker stayed busy for ${this.queueTimeoutMs} ms`,
      };
    } else if (deadline.reason === "budget") {
      failure = {
        code: "PCS_ERR_POLICY_TIMEOUT",
        policy: step.name,
        instance: step.instance,
        message: `policy "${step.name}" ran past its time budget (or creating its instance past runtime.loadTimeoutMs); its worker was replaced`,
      };
      this.#stats.record([{ instance: step.instance, failure: failure.code }], client, this.#onQuarantine);
    } else {
      failure = {
        code: "PCS_ERR_POLICY_FAILED",
        policy: step.name,
        instance: step.instance,
        message: `policy worker failed: ${(error as Error).message}`,
      };
      this.#stats.record([{ instance: step.instance, failure: failure.code }], client, this.#onQuarantine);
    }
    this.logger.error({ policy: step.name, code: failure.code }, failure.message);
    return { outcome: "failed", failure, metadata, calls: [], skipped: [] };
  }

  /**
   * Instantiates and initialises every (plugin, configuration) once before traffic, so a
   * configuration that `init` refuses stops the start with the line of its `with:` block, and
   * records what each configuration needs of the bodies (which decides buffering from then on).
   */
  async warmUp(loaded: LoadedConfig): Promise<void> {
    const report = await this.#withinLoadDeadline(
      this.#channel?.warmUp() ?? (this.#pool!.run({ flow: "warm-up" } satisfies WarmUpTask) as Promise<WarmUpReport>),
      loaded,
    );
    const failures: WarmUpFailure[] = [...report.failures];
    report.needs.forEach((info, instance) => {
      if (!info) return;
      const descriptor = this.plugins.get(this.plan.instances[instance]!.plugin)!.descriptor;
      const excess = exceedsDescriptor(info, descriptor);
      if (excess) failures.push({ instance, message: excess });
      else this.#bodyNeeds.set(instance, info);
    });
    if (failures.length === 0) return;
    const origins = firstOrigins(this.plan);
    throw new ConfigError(
      loaded.source,
      failures.map((failure) => {
        const path = [...(origins.get(failure.instance) ?? []), "with"];
        return { path, message: failure.message, ...loaded.locate(path) };
      }),
    );
  }

  /**
   * Warm-up, stopped when one instance's creation and `init` runs past `runtime.loadTimeoutMs`
   * (the worker records which instance it is creating). The caller then closes the runtime, which
   * terminates the worker stuck in it.
   */
  #withinLoadDeadline(warmUp: Promise<WarmUpReport>, loaded: LoadedConfig): Promise<WarmUpReport> {
    let watching = -1;
    let since = Date.now();
    let watchdog: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      watchdog = setInterval(
        () => {
          const instance = this.#slots.creatingInstance;
          if (instance !== watching) [watching, since] = [instance, Date.now()];
          else if (instance >= 0 && Date.now() - since >= this.loadTimeoutMs) reject(this.#initTimeout(instance, loaded));
        },
        Math.min(100, this.loadTimeoutMs / 4),
      );
    });
    return Promise.race([warmUp, expired]).finally(() => clearInterval(watchdog));
  }

  #initTimeout(instance: number, loaded: LoadedConfig): PortcullisError {
    const plugin = this.plan.instances[instance]!.plugin;
    const path = [...(firstOrigins(this.plan).get(instance) ?? ["plugins", plugin]), "with"];
    return new PortcullisError(
      "PCS_ERR_PLUGIN_LOAD_TIMEOUT",
      `${whereIs(loaded, path)}: plugin "${plugin}" did not finish creating and initialising this configuration within ` +
        `${this.loadTimeoutMs} ms at warm-up (runtime.loadTimeoutMs); the start is refused`,
    );
  }

  /** For the admin endpoint /plugins. */
  describePlugins(): unknown {
    return this.#stats.snapshot();
  }

  /** Flow tasks waiting for a worker, and workers running at least one. */
  poolGauges(): { queued: number; busy: number } {
    if (this.#channel) return this.#channel.gauges();
    const pool = this.#pool!;
    return { queued: pool.queueSize, busy: pool.threads.length - pool.idleThreads };
  }

  /** What the direct channel has carried (undefined with piscina). */
  channelStats(): ChannelStats | undefined {
    return this.#channel?.stats;
  }

  renderMetrics(): string {
    return this.services.renderPrometheus();
  }

  /** `keepServices`: hot reload handed the services over to the next runtime. */
  async close(keepServices = false): Promise<void> {
    await (this.#channel?.close() ?? this.#pool!.destroy());
    if (!keepServices) await this.services.close();
  }
}

/**
 * Which channel carries flows to the workers: the configuration's, else PORTCULLIS_TEST_CHANNEL
 * (so the test suites can run against either), else the direct channel.
 */
function channelOf(runtime: GatewayConfig["runtime"]): "direct" | "piscina" {
  const fromEnv = process.env.PORTCULLIS_TEST_CHANNEL;
  return runtime.channel ?? (fromEnv === "piscina" || fromEnv === "direct" ? fromEnv : "direct");
}

/** Flows a worker may hold beyond runtime.tasksPerWorker while they wait for call-outs. */
const CALL_OUT_TASKS_PER_WORKER = 64;

/** Whether some plugin may dispatch calls (only the http capability can). */
const mayCallOut = (setup: Pick<WorkerSetup, "plugins">): boolean => Object.values(setup.plugins).some((plugin) => plugin.grants.http !== undefined);

/** Runs of a flow whose worker died before it started: the first and one more. */
const MAX_ATTEMPTS = 2;

const ignore = (): void => undefined;

/**
 * The task with what the runtime adds, set on the caller's object (made for this one run): on Node 20 a
 * spread into a literal with more keys takes a slow path, about 4 us per flow.
 */
function completed(task: TaskInput<FlowTask>, quarantined: number[], slot: number): FlowTask {
  const full = task as FlowTask;
  full.quarantined = quarantined;
  full.slot = slot;
  return full;
}

/** A task as callers give it; the runtime adds quarantine and progress. */
export type TaskInput<T> = Omit<T, "quarantined" | "slot">;

/**
 * Hot reload (host/src/reload/standby-workers.ts): workers started ahead of a configuration, that receive
 * `setup` once taken, so a reload does not wait for threads to boot. `take` answers a piscina pool whose
 * every worker has started (worker/standby-setup.ts), `takeThreads` booted direct-channel threads
 * (channel/channel-thread.ts); either answers undefined when it has none ready, and new workers start.
 */
export interface StandbyPool {
  take(options: { filename: string; minThreads: number; maxThreads: number; concurrentTasksPerWorker: number }, setup: WorkerSetup): Piscina | undefined;
  takeThreads(workers: number): ChannelThread[] | undefined;
}

/** Hot reload (host/src/reload): a plugin already loaded, when its file and load settings are unchanged. */
export type PluginReuse = (name: string, plugin: GatewayConfig["plugins"][string], baseDir: string) => Promise<LoadedPlugin | undefined>;

/** Plugins loaded and compiled, and every policy entry checked against them. */
export interface PreparedPolicies {
  plan: PolicyPlan;
  plugins: Map<string, LoadedPlugin>;
}

/**
 * Loads every plugin the configuration declares and checks each policy entry against its plugin
 * (flows it handles, configuration schema, `when:` syntax). Throws ConfigError naming the YAML
 * lines, or PortcullisError for a plugin that cannot load. Used by `start` and `validate`.
 */
export async function preparePolicies(loaded: LoadedConfig, logger?: Logger, reuse?: PluginReuse): Promise<PreparedPolicies> {
  const { config, baseDir } = loaded;
  const plan = buildPolicyPlan(config);
  const cacheDir = resolve(baseDir, config.runtime.cacheDir);
  const compiled: CompiledPlugin[] = [];
  const reused = new Map<string, LoadedPlugin>();
  for (const [name, plugin] of Object.entries(config.plugins)) {
    try {
      const kept = await reuse?.(name, plugin, baseDir);
      if (kept) reused.set(name, kept);
      else compiled.push(await loadPlugin(name, plugin, baseDir, cacheDir));
    } catch (error) {
      throw locatePluginLoadError(loaded, name, error);
    }
  }
  const described = await describeCompiled(compiled, config.runtime.loadTimeoutMs, (name) => whereIs(loaded, ["plugins", name]));
  const plugins = new Map<string, LoadedPlugin>(reused);
  for (const plugin of described) {
    plugins.set(plugin.name, plugin);
    logger?.info({ plugin: plugin.name, path: plugin.path, sha256: plugin.sha256, capabilities: plugin.capabilities, cached: plugin.cached }, "plugin loaded");
  }
  const issues = validatePlan(config, plugins);
  if (issues.length)
    throw new ConfigError(
      loaded.source,
      issues.map((issue) => ({ ...issue, ...loaded.locate(issue.path) })),
    );
  return { plan, plugins };
}

/** `file:line:column path` of a config path, as configuration errors name it. */
function whereIs(loaded: LoadedConfig, path: Array<string | number>): string {
  const { line, column } = loaded.locate(path);
  const shown = path.map((p, i) => (typeof p === "number" ? `[${p}]` : i ? `.${p}` : p)).join("");
  return `${loaded.source}${line === undefined ? "" : `:${line}:${column}`} ${shown}`;
}

function storeConfig(config: GatewayConfig): StoreConfig {
  const { backend, kvMaxEntries, kvMaxBytes, counterSlots } = config.stores;
  if (backend === "memory") return { memory: { maxKvEntries: kvMaxEntries, maxKvBytes: kvMaxBytes, counterSlots } };
  const redis = config.stores.redis ?? { url: "redis://127.0.0.1:6379", prefix: "portcullis:", timeoutMs: 200 };
  return { redis };
}
