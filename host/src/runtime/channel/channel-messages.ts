import type { FlowResult, FlowTask, WarmUpReport, WarmUpTask } from "../flow-messages.js";

/**
 * What crosses a channel worker's port (see PolicyChannel). Towards the worker: the flows that
 * arrived in one event-loop turn, as one message, or the warm-up. Back: one answer per flow, posted
 * as soon as that flow ends, so a worker terminated later (a flow behind it looped) loses no answer.
 */
export type ToWorker = FlowTask[] | WarmUpTask;

/** [slot, result] or [slot, undefined, error message]; slot WARM_UP_SLOT answers the warm-up. */
export type FromWorker = [slot: number, answer: FlowResult | WarmUpReport | undefined, error?: string];

export const WARM_UP_SLOT = -1;

/** Whether a message from a worker is a flow or warm-up answer (the bridge's connect message is not). */
export function isAnswer(message: unknown): message is FromWorker {
  return Array.isArray(message);
}
