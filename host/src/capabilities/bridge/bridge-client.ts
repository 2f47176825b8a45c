import { MessageChannel, isMainThread, parentPort, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { PortcullisError } from "../../errors.js";
import { BRIDGE_CONNECT, type BridgeConnectMessage, type BridgeResponse } from "./protocol.js";

/**
 * Worker side of the sync bridge: `callSync` blocks the worker thread (never the
 * main thread) until the main thread answers or the timeout passes. One call is in
 * flight at a time per worker, since the caller is blocked; answers that arrive
 * after their call timed out are recognised by id and dropped.
 */
export class BridgeClient {
  readonly #port: MessagePort;
  readonly #doorbell: Int32Array;
  #lastId = 0;

  constructor(port: MessagePort, doorbell: SharedArrayBuffer) {
    this.#port = port;
    this.#doorbell = new Int32Array(doorbell);
    port.unref();
  }

  /** Calls the main-thread handler `name` and returns its answer; throws PortcullisError on timeout or handler error. */
  callSync<T>(name: string, args: unknown, timeoutMs: number): T {
    const id = ++this.#lastId;
    const deadline = performance.now() + timeoutMs;
    this.#port.postMessage({ id, name, args });
    for (;;) {
      const rung = Atomics.load(this.#doorbell, 0);
      const response = this.#take(id);
      if (response) {
        if (response.ok) return response.value as T;
        const code = response.unknownHandler ? "PCS_ERR_BRIDGE_UNAVAILABLE" : "PCS_ERR_BRIDGE_HANDLER";
        throw new PortcullisError(code, `bridge call "${name}" failed: ${response.message}`);
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new PortcullisError("PCS_ERR_BRIDGE_TIMEOUT", `bridge call "${name}" got no answer within ${timeoutMs} ms`);
      }
      Atomics.wait(this.#doorbell, 0, rung, remaining);
    }
  }

  /** Sends a message the main thread handles without answering (metrics). */
  notify(name: string, args: unknown): void {
    this.#port.postMessage({ id: 0, name, args });
  }

  close(): void {
    this.#port.close();
  }

  /** The answer to call `id` if it has arrived; stale answers to timed-out calls are discarded. */
  #take(id: number): BridgeResponse | undefined {
    for (;;) {
      const received = receiveMessageOnPort(this.#port);
      if (!received) return undefined;
      const response = received.message as BridgeResponse;
      if (response.id === id) return response;
    }
  }
}

/** Creates a bridge whose other end goes to `post` (e.g. a parentPort's postMessage). */
export function connectBridge(post: (message: BridgeConnectMessage, transfer: MessagePort[]) => void): BridgeClient {
  const { port1, port2 } = new MessageChannel();
  const doorbell = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  post({ type: BRIDGE_CONNECT, port: port2, doorbell }, [port2]);
  return new BridgeClient(port1, doorbell);
}

let workerBridge: BridgeClient | undefined;

/** This worker thread's bridge to the main thread, connected through parentPort on first use. */
export function workerBridgeClient(): BridgeClient {
  if (workerBridge) return workerBridge;
  if (isMainThread || !parentPort) {
    throw new PortcullisError("PCS_ERR_BRIDGE_UNAVAILABLE", "bridged capabilities need a worker thread: the main thread cannot block on itself");
  }
  const parent = parentPort;
  workerBridge = connectBridge((message, transfer) => parent.postMessage(message, transfer));
  return workerBridge;
}
