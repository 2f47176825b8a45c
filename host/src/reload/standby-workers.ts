import { randomUUID } from "node:crypto";
import { BroadcastChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import type { Logger } from "pino";
import { isBooted, startThread, type ChannelThread } from "../runtime/channel/channel-thread.js";
import type { WorkerSetup } from "../runtime/flow-messages.js";
import type { StandbyPool } from "../runtime/policy-runtime.js";
import type { StandbyMessage, StandbyWorkerData } from "../runtime/worker/standby-setup.js";

type PoolOptions = Parameters<StandbyPool["take"]>[0];

/** Booted workers of one kind: a piscina pool, or direct-channel threads. */
interface Spare {
  key: string;
  workers: number;
  started: number;
  /** A thread ended before it was taken: the spare is never handed over. */
  failed: boolean;
  pool?: Piscina;
  /** The pool's broadcast channel name, where its setup goes when taken. */
  name?: string;
  threads?: ChannelThread[];
}

/**
 * Policy workers booted ahead of the next reload. Starting a thread and loading the worker's modules is
 * most of a policy-changing reload (about 250 ms on an idle core, seconds when every core is busy serving):
 * a spare, started like the last workers taken, lets the next policy runtime skip it. A piscina spare gets its
 * setup by broadcast when taken (runtime/worker/standby-setup.ts), direct-channel threads on their bodies
 * port (runtime/channel/channel-thread.ts). Each take starts the next spare `delayMs` later, when the new
 * runtime's warm-up is over.
 */
export class StandbyWorkers implements StandbyPool {
  #spare: Spare | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** `booted`: threads the CLI started before the configuration was read, the first spare. */
  constructor(
    private readonly logger: Logger,
    booted?: ChannelThread[],
    private readonly delayMs = 500,
  ) {
    if (booted?.length) this.#spare = this.#threadSpare(booted);
  }

  /** For GET /reload: whether the next policy-changing reload finds workers booted. */
  get state(): "ready" | "starting" | "none" {
    const spare = this.#spare;
    if (!spare || spare.failed) return "none";
    return spare.started >= spare.workers ? "ready" : "starting";
  }

  take(options: PoolOptions, setup: WorkerSetup): Piscina | undefined {
    const spare = this.#takeSpare(`pool:${JSON.stringify(options)}`, () => this.#startPool(options));
    if (!spare) return undefined;
    const { pool, name } = spare as Required<Spare>;
    const send = (): void => {
      const channel = new BroadcastChannel(name);
      channel.postMessage({ standbySetup: setup } satisfies StandbyMessage);
      channel.close();
    };
    // A worker started later (replacing one of these) asks for the setup.
    pool.on("message", (message: Partial<Extract<StandbyMessage, { standbySetupRequest: string }>>) => {
      if (message?.standbySetupRequest === name) send();
    });
    send();
    return pool;
  }

  /** Taken even while booting: a thread reads its setup once loaded, sooner than one started now. */
  takeThreads(workers: number): ChannelThread[] | undefined {
    const threads = this.#takeSpare(`threads:${workers}`, () => this.#startThreads(workers), true)?.threads;
    for (const thread of threads ?? []) {
      for (const event of ["message", "error", "exit"]) thread.worker.removeAllListeners(event);
      thread.worker.ref();
    }
    return threads;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#discard();
  }

  /** The spare if it is of `key`'s kind and booted; schedules the next one either way. */
  #takeSpare(key: string, start: () => Spare, evenBooting = false): Spare | undefined {
    const spare = this.#spare;
    if (spare?.key !== key || spare.failed) {
      void this.#discard();
      this.#schedule(start);
      return undefined;
    }
    // Still booting: the runtime starts its own workers, and this spare stays for the next reload.
    if (spare.started < spare.workers && !evenBooting) return undefined;
    this.#schedule(start);
    this.#spare = undefined;
    return spare;
  }

  #schedule(start: () => Spare): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      if (!this.#closed && !this.#spare) this.#spare = start();
    }, this.delayMs);
    this.#timer.unref();
  }

  #startPool(options: PoolOptions): Spare {
    const name = `portcullis-standby-${randomUUID()}`;
    const pool = new Piscina({ ...options, workerData: { standbyChannel: name } satisfies StandbyWorkerData });
    const spare: Spare = { key: `pool:${JSON.stringify(options)}`, workers: options.minThreads, started: 0, failed: false, pool, name };
    pool.on("workerCreate", () => spare.started++);
    pool.on("error", (error: unknown) => this.logger.warn({ err: error }, "a standby policy worker failed; the next reload starts its own"));
    return spare;
  }

  #threadSpare(threads: ChannelThread[]): Spare {
    const spare: Spare = { key: `threads:${threads.length}`, workers: threads.length, started: 0, failed: false, threads };
    for (const { worker } of threads) {
      worker.unref(); // a spare alone does not keep the process running
      worker.on("message", (message: unknown) => {
        if (isBooted(message)) spare.started++;
      });
      worker.on("error", (error: unknown) => this.logger.warn({ err: error }, "a standby policy worker failed; the next reload starts its own"));
      worker.on("exit", () => {
        spare.failed = true;
      });
    }
    return spare;
  }

  #startThreads(workers: number): Spare {
    return this.#threadSpare(Array.from({ length: workers }, () => startThread(undefined)));
  }

  #discard(): Promise<void> {
    const spare = this.#spare;
    this.#spare = undefined;
    if (spare?.pool) return spare.pool.destroy();
    const threads = spare?.threads ?? [];
    return Promise.all(threads.map((thread) => thread.worker.terminate())).then(() => {
      for (const thread of threads) thread.bodies.close();
    });
  }
}
