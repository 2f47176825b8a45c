import type { MessagePort } from "node:worker_threads";
import { isBridgeConnectMessage, type BridgeRequest, type BridgeResponse } from "./protocol.js";

/** Answers one bridged call; may be async. Throwing sends an error back to the caller. */
export type BridgeHandler = (args: any) => unknown;

/**
 * Main-thread side of the sync bridge: handlers registered by name, serving every
 * connected worker. Wire it with `pool.on("message", m => server.accept(m))`
 * (piscina re-emits what a worker posts on its parentPort) or `worker.on("message", ...)`.
 */
export class BridgeServer {
  readonly #handlers = new Map<string, BridgeHandler>();
  readonly #ports = new Set<MessagePort>();

  register(name: string, handler: BridgeHandler): this {
    this.#handlers.set(name, handler);
    return this;
  }

  /** Connects a worker if `message` is its bridge-connect message; returns whether it was. */
  accept(message: unknown): boolean {
    if (!isBridgeConnectMessage(message)) return false;
    const { port } = message;
    const doorbell = new Int32Array(message.doorbell);
    this.#ports.add(port);
    port.on("message", (request: BridgeRequest) => void this.#serve(port, doorbell, request));
    port.on("close", () => this.#ports.delete(port));
    port.unref();
    return true;
  }

  get connections(): number {
    return this.#ports.size;
  }

  close(): void {
    for (const port of this.#ports) port.close();
    this.#ports.clear();
  }

  async #serve(port: MessagePort, doorbell: Int32Array, request: BridgeRequest): Promise<void> {
    const handler = this.#handlers.get(request.name);
    let response: BridgeResponse;
    if (!handler) {
      response = { id: request.id, ok: false, unknownHandler: true, message: `no bridge handler named "${request.name}"` };
    } else {
      try {
        response = { id: request.id, ok: true, value: await handler(request.args) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        response = { id: request.id, ok: false, unknownHandler: false, message };
      }
    }
    if (request.id === 0) return; // fire-and-forget: nobody waits
    try {
      port.postMessage(response);
    } catch (error) {
      // An answer that cannot be cloned must still wake the caller.
      port.postMessage({ id: request.id, ok: false, unknownHandler: false, message: `unclonable answer: ${String(error)}` });
    }
    Atomics.add(doorbell, 0, 1);
    Atomics.notify(doorbell, 0);
  }
}
