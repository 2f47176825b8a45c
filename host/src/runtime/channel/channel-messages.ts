import type { FlowResult, FlowTask, WarmUpReport, WarmUpTask, WorkerSetup } from "../flow-messages.js";

/** What a channel worker starts with: the pool's setup and its own ResultRing's memory. */
export interface ChannelWorkerData {
  setup: WorkerSetup;
  ring: SharedArrayBuffer;
}

/**
 * What crosses a channel worker's port (see PolicyChannel). Towards the worker: the flows that
 * arrived in one event-loop turn, as one message, or the warm-up. Back: one answer per flow,
 * written to the worker's ResultRing as soon as that flow ends, so a worker terminated later (a
 * flow behind it looped) loses no answer; posted instead when it does not fit there (a large body,
 * moved rather than copied) and for the warm-up.
 */
export type ToWorker = FlowTask[] | WarmUpTask;

/** [slot, result] or [slot, undefined, error message]; slot WARM_UP_SLOT answers the warm-up. */
export type FromWorker = [slot: number, answer: FlowResult | WarmUpReport | undefined, error?: string];

export const WARM_UP_SLOT = -1;

/** Whether a message from a worker is a flow or warm-up answer (the bridge's connect message is not). */
export function isAnswer(message: unknown): message is FromWorker {
  return Array.isArray(message);
}
