import type { HttpErrorCode } from "../errors.js";
import type { FlowResult } from "../runtime/flow-messages.js";
import type { PlanStep } from "../runtime/policy-plan.js";
import type { CallTiming } from "./call-detail.js";

/** One step of a chain as a flow task left it: run (and how) or not (and why). */
export interface PolicyCall {
  policy: string;
  /** The policy's code ran (or was started, for a call that ran past its budget). */
  called: boolean;
  failure?: HttpErrorCode;
  /** Failed, but its failure mode is open: the flow went on without it. */
  failedOpen?: boolean;
  ms?: number;
  timing?: CallTiming;
  /** Why it did not run. */
  skipped?: string;
}

/** Failures reported by the gateway for a task that never returned (no call records came back). */
const TASK_LOST = new Set<string>(["PCS_ERR_POLICY_TIMEOUT", "PCS_ERR_POLICY_FAILED", "PCS_ERR_POLICY_POOL_BUSY"]);

/**
 * The chain `steps` of one flow task, each with what happened to it. The worker reports only the calls
 * it made, in order; a step without one was skipped by its `when:`, not reached because an earlier
 * policy ended the flow, or left for the route's own task (listener policies run before routing).
 */
export function policyCallsOf(steps: readonly PlanStep[], result: FlowResult): PolicyCall[] {
  const { calls } = result;
  const failure = result.outcome === "failed" ? result.failure : undefined;
  const lost = failure !== undefined && calls.length === 0 && TASK_LOST.has(failure.code);
  const out: PolicyCall[] = [];
  let next = 0;
  let ended = false;
  for (const step of steps) {
    const call = calls[next];
    if (call !== undefined && call.instance === step.instance) {
      next++;
      const quarantined = call.failure === "PCS_ERR_POLICY_QUARANTINED";
      const failedOpen = call.failure !== undefined && !(failure?.instance === step.instance && next === calls.length);
      out.push({
        policy: step.name,
        called: !quarantined,
        failure: call.failure,
        ...(failedOpen ? { failedOpen } : {}),
        ms: call.timing?.ms,
        timing: call.timing,
        ...(quarantined ? { skipped: "quarantined after repeated failures" } : {}),
      });
      if ((call.failure !== undefined && !failedOpen) || call.timing?.decision === "respond") ended = true;
      continue;
    }
    if (ended) {
      out.push({ policy: step.name, called: false, skipped: "not reached: an earlier policy ended the flow" });
    } else if (failure !== undefined && failure.instance === step.instance) {
      const called = failure.code === "PCS_ERR_POLICY_TIMEOUT" || failure.code === "PCS_ERR_POLICY_FAILED";
      const skipped = failure.code === "PCS_ERR_POLICY_CONDITION" ? "its when: condition failed to evaluate" : undefined;
      out.push({ policy: step.name, called, failure: failure.code, ...(skipped ? { skipped } : {}) });
      ended = true;
    } else if (lost) {
      out.push({ policy: step.name, called: false, skipped: "unknown: the flow task did not complete" });
    } else if (result.outcome === "reroute" && next >= calls.length) {
      out.push({ policy: step.name, called: false, skipped: "not in this task: a listener policy changed the route's selection" });
    } else {
      out.push({ policy: step.name, called: false, skipped: "its when: condition was false" });
    }
  }
  return out;
}
