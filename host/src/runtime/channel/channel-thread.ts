import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { WorkerSetup } from "../flow-messages.js";
import { BOOTED, type ChannelWorkerData } from "./channel-messages.js";
import { FrameRing } from "./frame-ring.js";

/** Workers run compiled JS; when this module runs from host/src (tests), the build in host/dist is used. */
const WORKER_FILE = new URL("./channel-worker.js", import.meta.url.replace("/host/src/", "/host/dist/"));

/** Each of a worker's two rings: room for hundreds of heads (bodies of PORT_BODY_BYTES and more go by port). */
export const RING_BYTES = 256 * 1024;

/** One channel worker thread, its two rings and its port for large bodies. */
export interface ChannelThread {
  worker: Worker;
  requests: FrameRing;
  answers: FrameRing;
  bodies: MessagePort;
}

/**
 * Starts a channel worker thread. Without `setup` it is a standby thread (host/src/reload/standby-workers.ts):
 * it loads its modules, posts BOOTED, and waits for `giveSetup` before its first flow.
 */
export function startThread(setup: WorkerSetup | undefined): ChannelThread {
  const [requests, answers] = [new FrameRing(RING_BYTES), new FrameRing(RING_BYTES)];
  const { port1: bodies, port2 } = new MessageChannel();
  const workerData: ChannelWorkerData = { setup, requests: requests.buffer, answers: answers.buffer, bodies: port2 };
  const worker = new Worker(WORKER_FILE, { workerData, transferList: [port2] });
  return { worker, requests, answers, bodies };
}

/**
 * Hands a standby thread its setup. It goes first on the bodies port, ahead of anything the channel
 * sends, and the worker reads it there when its first frame (the warm-up or a flow) arrives.
 */
export function giveSetup(thread: ChannelThread, setup: WorkerSetup): void {
  thread.bodies.postMessage({ setup });
}

/** Whether a message from a thread says it loaded its modules. */
export const isBooted = (message: unknown): boolean => message === BOOTED;
