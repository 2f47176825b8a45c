import type { GatewayConfig } from "../config/schema.js";
import type { CallRecord, PolicyFailure } from "./flow-messages.js";
import type { LoadedPlugin } from "./plugin-loader.js";
import type { PlanStep, PolicyPlan } from "./policy-plan.js";
import type { PluginLimits } from "./config-schema.js";
import { Quarantine, type QuarantineScope } from "./quarantine.js";
import type { BodyNeedTable } from "./body-needs.js";

interface PluginCounters {
  calls: number;
  failures: Record<string, number>;
  /** The latest failure's code and message (a trap's `message at file:line:column`), for /plugins. */
  lastFailure?: { code: string; message: string; at: string };
  quarantine: Quarantine;
}

/** Calls, failures by code and quarantine state of each plugin, kept in the main thread. */
export class PluginStats {
  readonly #byPlugin = new Map<string, PluginCounters>();
  /** Plan instance index -> plugin counters. */
  readonly #ofInstance: PluginCounters[];

  constructor(
    private readonly plan: PolicyPlan,
    private readonly plugins: Map<string, LoadedPlugin>,
    quarantine: GatewayConfig["runtime"]["quarantine"],
    private readonly bodyNeeds: BodyNeedTable,
  ) {
    for (const name of plugins.keys()) {
      this.#byPlugin.set(name, { calls: 0, failures: {}, quarantine: new Quarantine(quarantine) });
    }
    this.#ofInstance = plan.instances.map((i) => this.#byPlugin.get(i.plugin)!);
  }

  limitsOf(instance: number): PluginLimits {
    return this.plugins.get(this.plan.instances[instance]!.plugin)!.config.limits;
  }

  /** Instances of the chain whose plugin is quarantined right now, for everyone or for `client`. */
  quarantined(steps: readonly PlanStep[], client: string): number[] {
    const now = Date.now();
    const out: number[] = [];
    for (const step of steps) if (this.#ofInstance[step.instance]!.quarantine.activeFor(client, now)) out.push(step.instance);
    return out;
  }

  /** Records the calls one flow made for `client`; logs each quarantine it starts. */
  record(calls: readonly CallRecord[], client: string, onQuarantine: (plugin: string, scope: QuarantineScope, ms: number) => void): void {
    for (const call of calls) {
      const counters = this.#ofInstance[call.instance]!;
      counters.calls += 1;
      if (call.failure === undefined) {
        counters.quarantine.recordSuccess(client);
        continue;
      }
      counters.failures[call.failure] = (counters.failures[call.failure] ?? 0) + 1;
      // A call refused because of the quarantine does not extend it.
      if (call.failure === "PCS_ERR_POLICY_QUARANTINED") continue;
      const scope = counters.quarantine.recordFailure(client, call.failure);
      if (scope) onQuarantine(this.plan.instances[call.instance]!.plugin, scope, counters.quarantine.remainingMs(client));
    }
  }

  /** Keeps the latest failure of a policy (closed or skipped open) for /plugins. */
  noteFailure(failure: PolicyFailure): void {
    const counters = this.#ofInstance[failure.instance];
    if (counters) counters.lastFailure = { code: failure.code, message: failure.message, at: new Date().toISOString() };
  }

  /** Milliseconds until `client` may call every plugin of the chain again. */
  quarantineRemainingMs(steps: readonly PlanStep[], client: string): number {
    let ms = 0;
    for (const step of steps) ms = Math.max(ms, this.#ofInstance[step.instance]!.quarantine.remainingMs(client));
    return ms;
  }

  /**
   * Per instance of the plugin, what its configuration needs of the bodies; `mismatch` marks an
   * instance whose `init` answered otherwise in some worker than at warm-up (a plugin bug).
   */
  #bodyNeedsOf(plugin: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    this.plan.instances.forEach((instance, index) => {
      if (instance.plugin !== plugin) return;
      const needs = this.bodyNeeds.get(index);
      out.push({ ...needs, ...(this.bodyNeeds.mismatched(index) ? { mismatch: true } : {}) });
    });
    return out;
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, plugin] of this.plugins) {
      const counters = this.#byPlugin.get(name)!;
      out[name] = {
        source: plugin.path,
        sha256: plugin.sha256,
        name: plugin.descriptor.name,
        version: plugin.descriptor.version,
        flows: plugin.descriptor.flows,
        capabilities: plugin.capabilities,
        instances: this.plan.instances.filter((i) => i.plugin === name).length,
        bodyNeeds: this.#bodyNeedsOf(name),
        calls: counters.calls,
        failures: counters.failures,
        lastFailure: counters.lastFailure,
        quarantine: counters.quarantine.snapshot(),
      };
    }
    return out;
  }
}
