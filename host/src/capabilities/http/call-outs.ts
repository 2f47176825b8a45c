import { workerBridgeClient, type BridgeClient } from "../bridge/bridge-client.js";
import type { HttpError, OutboundResponse, Result } from "../contract.js";
import type { OutboundCall } from "./outbound-fetch.js";

/**
 * Calls a policy queued with `http.dispatch` (see wit/capabilities.wit). The worker opens a queue
 * around each on-request and on-call-result call; `dispatch` adds to it and returns an id at once;
 * after the policy returned, the worker takes the queue and performs the calls (see run-flow.ts).
 */
export interface QueuedCall {
  id: number;
  call: OutboundCall;
}

export type CallAnswer = Result<OutboundResponse, HttpError>;

/** Calls one flow may queue in all, so a policy cannot keep a flow calling out forever. */
export const MAX_CALLS_PER_FLOW = 8;
/** Time allowed beyond a call's own timeout for a blocking call's answer to cross the bridge. */
const BRIDGE_MARGIN_MS = 1_000;
/** The bridge handler of outbound calls (registered by the capability services in the main thread). */
export const HTTP_FETCH_CALL = "http.fetch";

let queue: QueuedCall[] | undefined;
let room = 0;
let lastId = 0;

/** Before a policy call that may dispatch: `allowed` is how many more calls its flow may queue. */
export function openCallQueue(allowed: number): void {
  queue = [];
  room = allowed;
}

/** After that call: the calls it queued (the queue is closed: `dispatch` now refuses). */
export function takeCallQueue(): QueuedCall[] {
  const taken = queue ?? [];
  queue = undefined;
  return taken;
}

/** `http.dispatch` after its checks: queues the call, or says why it cannot. */
export function queueCall(call: OutboundCall): Result<number, HttpError> {
  if (!queue) return invalid("dispatch is only available in on-request and on-call-result (use fetch elsewhere)");
  if (queue.length >= room) return invalid(`a request may dispatch at most ${MAX_CALLS_PER_FLOW} calls`);
  lastId = (lastId + 1) >>> 0 || 1;
  queue.push({ id: lastId, call });
  return { tag: "ok", val: lastId };
}

const invalid = (message: string): { tag: "err"; val: HttpError } => ({ tag: "err", val: { tag: "invalid-request", val: message } });

let fetchInWorker: ((call: OutboundCall) => Promise<CallAnswer>) | undefined;

/** Performs a call in this worker with undici, without blocking it (loaded on first use). */
export async function performCall(call: OutboundCall): Promise<CallAnswer> {
  fetchInWorker ??= (await import("./outbound-fetch.js")).outboundFetch;
  return fetchInWorker(call);
}

/** Performs a call through the bridge to the main thread, blocking this thread until the answer (`http.fetch`). */
export function fetchThroughBridge(bridge: BridgeClient, call: OutboundCall): CallAnswer {
  try {
    return bridge.callSync(HTTP_FETCH_CALL, call, call.timeoutMs + BRIDGE_MARGIN_MS);
  } catch (error) {
    return { tag: "err", val: { tag: "unreachable", val: error instanceof Error ? error.message : String(error) } };
  }
}

/** A queued call performed blocking: for the direct channel, whose workers have no event loop to wait in. */
export function performCallBlocking(call: OutboundCall): CallAnswer {
  return fetchThroughBridge(workerBridgeClient(), call);
}
