import type { MessagePort } from "node:worker_threads";
import type { FlowResult, FlowTask, WarmUpReport, WarmUpTask, WorkerSetup } from "../flow-messages.js";
import { SHARED_BODY_BYTES } from "../read-body-if-fits.js";

/**
 * What a channel worker starts with: the pool's setup, its two rings' memory and its port for large bodies.
 * A standby thread starts without the setup and finds it first on its bodies port (channel-thread.ts: giveSetup).
 */
export interface ChannelWorkerData {
  setup: WorkerSetup | undefined;
  /** FrameRing of ToWorker frames (the gateway writes). */
  requests: SharedArrayBuffer;
  /** FrameRing of FromWorker frames (the worker writes). */
  answers: SharedArrayBuffer;
  /** Request bodies too large for the ring, posted here in the order of their flows' frames. */
  bodies: MessagePort;
}

/**
 * What crosses a channel (see PolicyChannel). Towards the worker, in its request ring: a flow, with
 * whether its body waits on the bodies port, or the warm-up. Back, in its answer ring as soon as that
 * flow ends, so a worker terminated later (a flow behind it looped) loses no answer: one answer per
 * flow. Answers that do not fit there (a large body, moved rather than copied) and the warm-up's
 * report are posted on the worker's port instead.
 */
export type ToWorker = [task: FlowTask, bodyOnPort: boolean] | [task: WarmUpTask];

/** [slot, result] or [slot, undefined, error message]; slot WARM_UP_SLOT answers the warm-up. */
export type FromWorker = [slot: number, answer: FlowResult | WarmUpReport | undefined, error?: string];

export const WARM_UP_SLOT = -1;

/** What a channel worker posts once its modules are loaded (standby threads are counted ready by it). */
export const BOOTED = "portcullis:channel-worker-booted";

/**
 * Bodies at least this large travel by port instead of being copied through a ring: shared (the gateway
 * gathers them in shared memory, read-body-if-fits.ts: joinBody), moved, or else cloned once.
 */
export const PORT_BODY_BYTES = SHARED_BODY_BYTES;

/** Whether a message from a worker is a flow or warm-up answer (the bridge's connect message is not). */
export function isAnswer(message: unknown): message is FromWorker {
  return Array.isArray(message);
}
