import type { LoadedConfig } from "../../config/load-config.js";
import { BodyNeedTable } from "../body-needs.js";
import { ProgressSlots } from "../flow-deadline.js";
import type { PreparedPolicies } from "../policy-runtime.js";
import { FlowExecutor } from "./run-flow.js";

/**
 * A FlowExecutor on the calling thread, set up as a policy worker's is: for benches and tests that
 * measure or check a flow without any crossing (one progress slot, no shared counters, silent logs).
 */
export function inThreadExecutor(prepared: PreparedPolicies, loaded: LoadedConfig): FlowExecutor {
  return new FlowExecutor({
    plugins: Object.fromEntries([...prepared.plugins].map(([name, p]) => [name, { module: p.module, grants: p.config.capabilities, limits: p.config.limits }])),
    plan: prepared.plan,
    listeners: loaded.config.listeners,
    baseDir: loaded.baseDir,
    bridgeTimeoutMs: 1_000,
    logLevel: "silent",
    sharedCounters: undefined,
    progress: new ProgressSlots(1).buffer,
    bodyNeeds: BodyNeedTable.create(prepared.plan.instances.length).buffer,
  });
}
