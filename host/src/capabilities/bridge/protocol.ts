/**
 * Wire protocol of the sync bridge between a worker thread and the main thread.
 *
 * The worker creates a MessageChannel, keeps one end and posts the other to its
 * parent together with a one-word SharedArrayBuffer (the "doorbell"). A call is a
 * message on the channel; the main thread answers on the same channel, THEN adds
 * one to the doorbell and notifies it. The worker sleeps in `Atomics.wait` on the
 * doorbell and, once woken, takes the answer with `receiveMessageOnPort`, so the
 * values travel by structured clone and no custom encoding is needed.
 */
import type { MessagePort } from "node:worker_threads";

/** Marks the message a worker posts to its parent to connect its bridge. */
export const BRIDGE_CONNECT = "portcullis:bridge-connect";

export interface BridgeConnectMessage {
  type: typeof BRIDGE_CONNECT;
  port: MessagePort;
  doorbell: SharedArrayBuffer;
}

/** A call that expects an answer (`id` > 0) or a fire-and-forget notice (`id` = 0). */
export interface BridgeRequest {
  id: number;
  name: string;
  args: unknown;
}

export type BridgeResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; unknownHandler: boolean; message: string };

export function isBridgeConnectMessage(message: unknown): message is BridgeConnectMessage {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === BRIDGE_CONNECT;
}
