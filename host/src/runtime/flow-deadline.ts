import { UpstreamAbort } from "../proxy/upstream-abort.js";

const MS_MASK = 0x7fffffff;

/**
 * The time budget of one flow task, counted from the moment a worker starts running it: time spent
 * waiting in the pool's queue (behind a slow flow, say) is not charged to the policies. The worker
 * writes its start time and the policy it is running into `progress`; when the budget has run out
 * the deadline aborts the task (piscina then terminates and replaces that worker). A task that
 * waits in the queue past `queueTimeoutMs` is aborted too, without touching any worker.
 */
export class FlowDeadline extends UpstreamAbort {
  /** [0]: plan instance + 1 of the policy running (0: none yet); [1]: start time in ms, masked (0: queued). */
  readonly progress = new Int32Array(new SharedArrayBuffer(8));
  /** Why the task was aborted, once it was. */
  reason: "budget" | "queue" | undefined;
  readonly #queuedUntil: number;
  #timer: NodeJS.Timeout;

  constructor(
    private readonly budgetMs: number,
    queueTimeoutMs: number,
  ) {
    super();
    this.#queuedUntil = Date.now() + queueTimeoutMs;
    this.#timer = setTimeout(check, budgetMs, this);
  }

  /** The policy that was running (plan instance index), or -1. */
  get runningInstance(): number {
    return Atomics.load(this.progress, 0) - 1;
  }

  done(): void {
    clearTimeout(this.#timer);
  }

  /** @internal */
  check(): void {
    const started = Atomics.load(this.progress, 1);
    const now = Date.now();
    if (started === 0) {
      if (now < this.#queuedUntil) this.#rearm(Math.min(this.budgetMs, this.#queuedUntil - now));
      else this.#expire("queue");
      return;
    }
    const elapsed = ((now & MS_MASK) - started + MS_MASK + 1) % (MS_MASK + 1);
    if (elapsed >= this.budgetMs) this.#expire("budget");
    else this.#rearm(this.budgetMs - elapsed);
  }

  #rearm(ms: number): void {
    this.#timer = setTimeout(check, Math.max(1, ms), this);
  }

  #expire(reason: "budget" | "queue"): void {
    this.reason = reason;
    this.abort();
  }
}

function check(deadline: FlowDeadline): void {
  deadline.check();
}

/** Called by the worker when it starts a task. */
export function markStarted(progress: Int32Array): void {
  Atomics.store(progress, 1, Date.now() & MS_MASK || 1);
}
