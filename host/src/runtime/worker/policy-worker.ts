import type { FlowResult, FlowTask, WarmUpReport, WarmUpTask } from "../flow-messages.js";
import { FlowExecutor } from "./run-flow.js";
import { workerSetup } from "./standby-setup.js";

/**
 * Entry point of a policy worker thread (piscina). Nothing here may throw while the module
 * loads: piscina stops replacing workers whose start-up fails, so all set-up happens lazily,
 * inside the first task, where an error fails that task only.
 */
let executor: FlowExecutor | undefined;

/** A promise while a flow waits for call-outs (http.dispatch): piscina runs the worker's other tasks meanwhile. */
export default function runFlow(task: FlowTask | WarmUpTask): FlowResult | Promise<FlowResult> | WarmUpReport {
  executor ??= new FlowExecutor(workerSetup(), { asyncCallOuts: true });
  return task.flow === "warm-up" ? executor.warmUp() : executor.run(task);
}
