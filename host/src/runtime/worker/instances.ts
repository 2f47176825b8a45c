import { instantiatePolicy, type InitInfo, type PolicyInstance } from "@portcullis/sdk/component";
// Not the capabilities index: it re-exports main-thread services (undici, ioredis) a worker never needs.
import { createCapabilities, loadCapabilityModules } from "../../capabilities/create-capabilities.js";
import { JsonLineLogger, type LineLevel } from "../../capabilities/log/json-line-logger.js";
import type { WorkerSetup } from "../flow-messages.js";
import type { ErrorCode } from "../../errors.js";
import { BodyNeedTable, describeNeeds } from "../body-needs.js";
import { beginCreating, endCreating } from "../flow-deadline.js";

/**
 * This worker's policy instances: one per (plugin, configuration) of the plan, created on first
 * use from the shared compiled module and initialised with its configuration. A trap discards
 * the instance; the next call creates a fresh one.
 */
export class InstancePool {
  readonly #live: (PolicyInstance | undefined)[] = [];
  /** What each instance's `init` answered in this worker. */
  readonly #answers: (InitInfo | undefined)[] = [];
  readonly bodyNeeds: BodyNeedTable;
  /** Policies' log lines, at the gateway's configured level (JSON lines on stdout, like the gateway's). */
  readonly #logger: JsonLineLogger;
  /** The progress words shared with the gateway, where creating an instance is recorded for warm-up's deadline. */
  readonly #progress: Int32Array;

  /** `flowSlot`: the progress slot of the flow running now (-1 at warm-up), whose clock creation pauses. */
  constructor(
    private readonly setup: WorkerSetup,
    private readonly flowSlot: () => number = () => -1,
  ) {
    this.#progress = new Int32Array(setup.progress);
    // Synchronous writes: between tasks a piscina worker sleeps in Atomics.wait, so an asynchronous
    // destination's write callbacks would not run and every line after the first would stay buffered.
    // pino's line format without pino (about 30 ms of CPU per worker to load).
    this.#logger = new JsonLineLogger(setup.logLevel as LineLevel | "silent");
    this.bodyNeeds = new BodyNeedTable(setup.bodyNeeds);
    // Before the first flow starts its budget (the executor is created ahead of it), never inside one.
    loadCapabilityModules(
      Object.values(setup.plugins).map((plugin) => plugin.grants),
      { conditions: setup.plan.conditions.length > 0 },
    );
  }

  /** The instance, created and initialised if needed; throws InstanceError when that fails. */
  get(index: number, policyName: string): PolicyInstance {
    const live = this.#live[index];
    if (live) return live;
    const planned = this.setup.plan.instances[index];
    if (!planned) throw new InstanceError(`no instance ${index} in the plan`);
    const plugin = this.setup.plugins[planned.plugin];
    if (!plugin) throw new InstanceError(`plugin "${planned.plugin}" is not loaded`);
    const capabilities = createCapabilities(plugin.grants, {
      policyName,
      logger: this.#logger,
      baseDir: this.setup.baseDir,
      bridgeTimeoutMs: this.setup.bridgeTimeoutMs,
      sharedCounters: this.setup.sharedCounters,
    });
    const slot = this.flowSlot();
    const spent = beginCreating(this.#progress, slot, index);
    let instance: PolicyInstance;
    let initialised: ReturnType<PolicyInstance["init"]>;
    try {
      instance = instantiatePolicy(plugin.module, capabilities);
      initialised = instance.init(planned.config);
    } finally {
      endCreating(this.#progress, slot, index, spent);
    }
    if (initialised.tag === "err") {
      const error = initialised.val;
      const detail = error.tag === "invalid-value" ? `${error.val.path}: ${error.val.message}` : error.val;
      throw new InstanceError(`init refused its configuration (${error.tag}): ${detail}`);
    }
    this.#checkNeeds(index, policyName, initialised.val);
    this.#live[index] = instance;
    return instance;
  }

  /** What `init` answered for the instance in this worker (warm-up reads it). */
  answer(index: number): InitInfo | undefined {
    return this.#answers[index];
  }

  /**
   * The gateway buffers bodies by what warm-up answered; the same configuration must answer the
   * same everywhere. Bodies keep following the warm-up answer; a different one is a plugin bug,
   * logged once per process and shown by /plugins.
   */
  #checkNeeds(index: number, policyName: string, info: InitInfo): void {
    this.#answers[index] = info;
    const expected = this.bodyNeeds.get(index);
    if (!expected || (expected.requestBody === info.requestBody && expected.responseBody === info.responseBody)) return;
    if (!this.bodyNeeds.flagMismatch(index)) return;
    this.#logger.error(
      { code: "PCS_ERR_POLICY_BODY_NEED_MISMATCH" satisfies ErrorCode, policy: policyName, plugin: this.setup.plan.instances[index]!.plugin },
      `policy "${policyName}": init answered ${describeNeeds(info)} in a worker, but ${describeNeeds(expected)} at warm-up; ` +
        "bodies follow the warm-up answer (a plugin bug: the answer must depend on the configuration only)",
    );
  }

  /** Memory cap of the instance's plugin, in bytes. */
  memoryCap(index: number): number {
    const planned = this.setup.plan.instances[index]!;
    return this.setup.plugins[planned.plugin]!.limits.memoryMb * 1024 * 1024;
  }

  discard(index: number): void {
    this.#live[index] = undefined;
  }
}

/** An instance could not be created or initialised. */
export class InstanceError extends Error {
  override name = "InstanceError";
}
