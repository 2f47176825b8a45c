import { randomUUID } from "node:crypto";
import { BroadcastChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import type { Logger } from "pino";
import type { WorkerSetup } from "../runtime/flow-messages.js";
import type { StandbyPool } from "../runtime/policy-runtime.js";
import type { StandbyMessage, StandbyWorkerData } from "../runtime/worker/standby-setup.js";

type PoolOptions = Parameters<StandbyPool["take"]>[0];

interface Spare {
  pool: Piscina;
  name: string;
  key: string;
  workers: number;
  started: number;
}

/**
 * Policy workers booted ahead of the next reload. Starting a thread and loading the worker's modules is
 * most of a policy-changing reload (about 250 ms on an idle core, seconds when every core is busy serving):
 * a spare pool, started with the options of the last pool taken, lets the next policy runtime skip it.
 * The setup follows by broadcast when the pool is taken (runtime/worker/standby-setup.ts). Each take
 * starts the next spare `delayMs` later, when the new runtime's warm-up is over.
 */
export class StandbyWorkers implements StandbyPool {
  #spare: Spare | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly logger: Logger,
    private readonly delayMs = 500,
  ) {}

  /** For GET /reload: whether the next policy-changing reload finds workers booted. */
  get state(): "ready" | "starting" | "none" {
    const spare = this.#spare;
    if (!spare) return "none";
    return spare.started >= spare.workers ? "ready" : "starting";
  }

  take(options: PoolOptions, setup: WorkerSetup): Piscina | undefined {
    const key = JSON.stringify(options);
    const spare = this.#spare;
    if (spare?.key !== key) {
      void this.#discard();
      this.#schedule(options, key);
      return undefined;
    }
    // Still booting: the runtime starts its own pool, and this one stays for the next reload.
    if (spare.started < spare.workers) return undefined;
    this.#schedule(options, key);
    this.#spare = undefined;
    const send = (): void => {
      const channel = new BroadcastChannel(spare.name);
      channel.postMessage({ standbySetup: setup } satisfies StandbyMessage);
      channel.close();
    };
    // A worker started later (replacing one of these) asks for the setup.
    spare.pool.on("message", (message: Partial<Extract<StandbyMessage, { standbySetupRequest: string }>>) => {
      if (message?.standbySetupRequest === spare.name) send();
    });
    send();
    return spare.pool;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#discard();
  }

  #schedule(options: PoolOptions, key: string): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      if (this.#closed || this.#spare) return;
      const name = `portcullis-standby-${randomUUID()}`;
      const pool = new Piscina({ ...options, workerData: { standbyChannel: name } satisfies StandbyWorkerData });
      const spare: Spare = { pool, name, key, workers: options.minThreads, started: 0 };
      pool.on("workerCreate", () => spare.started++);
      pool.on("error", (error: unknown) => this.logger.warn({ err: error }, "a standby policy worker failed; the next reload starts its own"));
      this.#spare = spare;
    }, this.delayMs);
    this.#timer.unref();
  }

  #discard(): Promise<void> {
    const spare = this.#spare;
    this.#spare = undefined;
    return spare ? spare.pool.destroy() : Promise.resolve();
  }
}
