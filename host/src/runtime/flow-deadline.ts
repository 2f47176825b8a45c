import { UpstreamAbort } from "../proxy/upstream-abort.js";

const MS_MASK = 0x7fffffff;
/** Int32 words per progress slot: [0] plan instance + 1 of the policy running, [1] start time (masked ms). */
const SLOT_WORDS = 2;

/**
 * Progress slots shared once with every worker (workerData), so a task carries a small slot
 * number instead of a SharedArrayBuffer of its own (posting one per task was the largest piece
 * of the pool's per-request cost). A slot whose task was aborted is never reused: its worker may
 * still be writing to it while it is being terminated.
 */
export class ProgressSlots {
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly #free: number[] = [];
  #next = 0;

  constructor(readonly capacity = 65_536) {
    this.buffer = new SharedArrayBuffer(capacity * SLOT_WORDS * Int32Array.BYTES_PER_ELEMENT);
    this.words = new Int32Array(this.buffer);
  }

  /** A cleared slot, or -1 when every slot is in use or retired. */
  take(): number {
    const slot = this.#free.pop() ?? (this.#next < this.capacity ? this.#next++ : -1);
    if (slot >= 0) {
      Atomics.store(this.words, slot * SLOT_WORDS, 0);
      Atomics.store(this.words, slot * SLOT_WORDS + 1, 0);
    }
    return slot;
  }

  release(slot: number): void {
    if (slot >= 0) this.#free.push(slot);
  }
}

/**
 * The time budget of one flow task, counted from the moment a worker starts running it: time spent
 * waiting in the pool's queue (behind a slow flow, say) is not charged to the policies. The worker
 * writes its start time and the policy it is running into the task's progress slot; when the
 * budget has run out the deadline aborts the task (piscina then terminates and replaces that
 * worker). A task that waits in the queue past `queueTimeoutMs` is aborted too, without touching
 * any worker. Without a slot (all in use) the budget counts from the submission.
 */
export class FlowDeadline extends UpstreamAbort {
  /** Why the task was aborted, once it was. */
  reason: "budget" | "queue" | undefined;
  readonly #queuedUntil: number;
  readonly #submittedAt = Date.now() & MS_MASK;
  #timer: NodeJS.Timeout;

  constructor(
    private readonly slots: ProgressSlots,
    readonly slot: number,
    private readonly budgetMs: number,
    queueTimeoutMs: number,
  ) {
    super();
    this.#queuedUntil = Date.now() + queueTimeoutMs;
    this.#timer = setTimeout(check, budgetMs, this);
  }

  /** The policy that was running (plan instance index), or -1. */
  get runningInstance(): number {
    return this.slot < 0 ? -1 : Atomics.load(this.slots.words, this.slot * SLOT_WORDS) - 1;
  }

  /** Stops the timer; the slot goes back for reuse unless the task was aborted. */
  done(): void {
    clearTimeout(this.#timer);
    if (this.reason === undefined) this.slots.release(this.slot);
  }

  /** @internal */
  check(): void {
    const started = this.slot < 0 ? this.#submittedAt : Atomics.load(this.slots.words, this.slot * SLOT_WORDS + 1);
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

/** Worker side: records that the task in `slot` has started. */
export function markStarted(words: Int32Array, slot: number): void {
  if (slot >= 0) Atomics.store(words, slot * SLOT_WORDS + 1, Date.now() & MS_MASK || 1);
}

/** Worker side: records which policy (plan instance) the task in `slot` is running. */
export function markRunning(words: Int32Array, slot: number, instance: number): void {
  if (slot >= 0) Atomics.store(words, slot * SLOT_WORDS, instance + 1);
}
