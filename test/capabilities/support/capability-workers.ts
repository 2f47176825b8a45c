import { Worker } from "node:worker_threads";
import type { CapabilityServices } from "../../../host/src/capabilities/index.js";

const WORKER_SCRIPT = new URL("./capability-worker.mjs", import.meta.url);

export interface CapabilityCall {
  capability: string;
  method: string;
  args: unknown[];
}

/** A real worker thread running capabilities against the services of this (main) thread. */
export class CapabilityWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (value: unknown[]) => void; reject: (error: Error) => void }>();
  readonly ready: Promise<void>;
  #nextId = 1;

  constructor(services: CapabilityServices, workerData: Record<string, unknown>) {
    this.#worker = new Worker(WORKER_SCRIPT, { workerData });
    let markReady: () => void = () => {};
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.#worker.on("message", (message: { kind?: string; id: number; results?: unknown[]; error?: string }) => {
      if (services.accept(message)) return;
      if (message.kind === "ready") return markReady();
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else pending?.resolve(message.results ?? []);
    });
    this.#worker.on("error", (error) => {
      for (const pending of this.#pending.values()) pending.reject(error);
    });
  }

  /** Runs `calls` `repeat` times in the worker; resolves with the last round's results. */
  run(calls: CapabilityCall[], options: { repeat?: number; flow?: unknown } = {}): Promise<unknown[]> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ kind: "run", id, calls, ...options });
    });
  }

  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }
}

/** Starts `count` workers with the same grants and waits until they are ready. */
export async function startCapabilityWorkers(services: CapabilityServices, count: number, workerData: Record<string, unknown>): Promise<CapabilityWorker[]> {
  const workers = Array.from({ length: count }, () => new CapabilityWorker(services, workerData));
  await Promise.all(workers.map((worker) => worker.ready));
  return workers;
}
