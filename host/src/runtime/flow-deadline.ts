import { UpstreamAbort } from "../proxy/upstream-abort.js";

const MS_MASK = 0x7fffffff;
/** Elapsed times past this (12 days) are starts recorded just after the reader's clock was read. */
const FUTURE_FROM = 2 ** 30;
/**
 * Int32 words per progress slot: [0] plan instance + 1 of the policy running, [1] start time (masked
 * ms), [2] state: 0 while queued, the threadId of the worker running it, or ABANDONED.
 */
const SLOT_WORDS = 3;
const STATE = 2;
/** A queued task the gateway gave up on (queue timeout): the worker that reaches it skips it. */
const ABANDONED = -1;
/**
 * Set in a slot's instance word while its flow creates and initialises a policy instance (the first
 * flow of a worker that did not warm up, or after a trap discarded one): that time is bounded by
 * runtime.loadTimeoutMs instead of the policies' budget, which it would otherwise eat (a 12 MB
 * JavaScript component takes 0.3-1.5 s to create on a busy machine).
 */
const CREATING = 0x40000000;

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
    // One more word after the slots: the instance a worker is creating (see markCreating).
    this.buffer = new SharedArrayBuffer((capacity * SLOT_WORDS + 1) * Int32Array.BYTES_PER_ELEMENT);
    this.words = new Int32Array(this.buffer);
  }

  /** The plan instance some worker is creating and initialising right now, or -1 (read by warm-up's deadline). */
  get creatingInstance(): number {
    return Atomics.load(this.words, this.words.length - 1) - 1;
  }

  /** A cleared slot, or -1 when every slot is in use or retired. */
  take(): number {
    const slot = this.#free.pop() ?? (this.#next < this.capacity ? this.#next++ : -1);
    if (slot >= 0) this.words.fill(0, slot * SLOT_WORDS, (slot + 1) * SLOT_WORDS);
    return slot;
  }

  release(slot: number): void {
    if (slot >= 0) this.#free.push(slot);
  }

  /** 0 while queued, the threadId of the worker running it, or ABANDONED (for a scanner watching many slots). */
  state(slot: number): number {
    return Atomics.load(this.words, slot * SLOT_WORDS + STATE);
  }

  /** Marks a still-queued task abandoned; returns the state before (0: it is abandoned now). */
  abandonIfQueued(slot: number): number {
    return Atomics.compareExchange(this.words, slot * SLOT_WORDS + STATE, 0, ABANDONED);
  }

  /** Milliseconds since a worker started the task in `slot`. */
  runningFor(slot: number, now: number): number {
    const started = Atomics.load(this.words, slot * SLOT_WORDS + 1);
    return started === UNCHARGED ? 0 : elapsedSince(started, now); // waiting for call-outs, or finished
  }

  /** The plan instance the task in `slot` is running, or -1. */
  runningInstance(slot: number): number {
    return (Atomics.load(this.words, slot * SLOT_WORDS) & ~CREATING) - 1;
  }

  /** Whether the task in `slot` is creating a policy instance (see CREATING). */
  creating(slot: number): boolean {
    return (Atomics.load(this.words, slot * SLOT_WORDS) & CREATING) !== 0;
  }

  /** The limit that applies to the task in `slot` now: its budget, or the load timeout while it creates an instance. */
  limitOf(slot: number, budgetMs: number, loadTimeoutMs: number): number {
    return this.creating(slot) ? loadTimeoutMs : budgetMs;
  }
}

/**
 * The time budget of one flow task, counted from the moment a worker starts running it: time spent
 * queued (behind a slow flow, say) is not charged to the policies. Tasks queue at the workers too
 * (runtime.tasksPerWorker), so the budget cannot be enforced by aborting the pool task: the worker
 * records in the task's progress slot when it started, which thread runs it and which policy it is
 * running, and when the budget has run out the deadline expires and `onBudget` terminates that
 * thread (piscina replaces it; the tasks queued behind it fail and are run again, see PolicyRuntime).
 * A task still queued past `queueTimeoutMs` is marked abandoned, which the worker that reaches it
 * honours by skipping it. Without a slot (all in use) the budget counts from the submission and the
 * deadline aborts the pool task as an AbortSignal.
 */
export class FlowDeadline extends UpstreamAbort {
  /** Why the task was given up on, once it was. */
  reason: "budget" | "queue" | undefined;
  /** Resolves (to undefined) when the deadline expires. */
  readonly expired: Promise<undefined>;
  #resolveExpired!: (value: undefined) => void;
  readonly #queuedUntil: number;
  readonly #submittedAt = Date.now() & MS_MASK;
  #timer: NodeJS.Timeout;
  #released = false;

  constructor(
    private readonly slots: ProgressSlots,
    readonly slot: number,
    private readonly budgetMs: number,
    queueTimeoutMs: number,
    private readonly loadTimeoutMs: number,
    private readonly onBudget: (threadId: number) => void,
  ) {
    super();
    this.expired = new Promise((resolve) => (this.#resolveExpired = resolve));
    this.#queuedUntil = Date.now() + queueTimeoutMs;
    this.#timer = setTimeout(check, Math.min(budgetMs, queueTimeoutMs), this);
  }

  /** The policy that was running (plan instance index), or -1. */
  get runningInstance(): number {
    return this.slot < 0 ? -1 : this.slots.runningInstance(this.slot);
  }

  /** Whether no worker ever started the task (it can then be run again without side effects). */
  get neverStarted(): boolean {
    return this.slot >= 0 && Atomics.load(this.slots.words, this.slot * SLOT_WORDS + STATE) === 0;
  }

  /** Stops the timer; the slot goes back for reuse (once) unless the task was given up on. */
  done(): void {
    clearTimeout(this.#timer);
    if (this.reason === undefined && !this.#released) this.slots.release(this.slot);
    this.#released = true;
  }

  /** @internal */
  check(): void {
    const now = Date.now();
    if (this.slot < 0) {
      if (elapsedSince(this.#submittedAt, now) >= this.budgetMs) this.#expire("budget", 0);
      else this.#rearm(this.budgetMs - elapsedSince(this.#submittedAt, now));
      return;
    }
    const base = this.slot * SLOT_WORDS;
    let state = Atomics.load(this.slots.words, base + STATE);
    if (state === 0) {
      if (now < this.#queuedUntil) return this.#rearm(Math.min(this.budgetMs, this.#queuedUntil - now));
      state = Atomics.compareExchange(this.slots.words, base + STATE, 0, ABANDONED);
      if (state === 0) return this.#expire("queue", 0);
      // a worker started it just now: its budget applies
    }
    const started = Atomics.load(this.slots.words, base + 1);
    // Waiting for its call-outs (pauseBudget), or finished (markFinished): not charged.
    if (started === UNCHARGED) return this.#rearm(this.budgetMs);
    const elapsed = elapsedSince(started, now);
    const limit = this.slots.limitOf(this.slot, this.budgetMs, this.loadTimeoutMs);
    if (elapsed >= limit) this.#expire("budget", state);
    else this.#rearm(Math.min(this.budgetMs, limit - elapsed)); // creating ends at any moment: look again within a budget
  }

  #rearm(ms: number): void {
    this.#timer = setTimeout(check, Math.max(1, ms), this);
  }

  #expire(reason: "budget" | "queue", threadId: number): void {
    this.reason = reason;
    this.#resolveExpired(undefined);
    if (threadId > 0) this.onBudget(threadId);
    else this.abort();
  }
}

/**
 * Milliseconds from a start a worker recorded to `now` (both masked). A worker may record its start a
 * moment after the gateway read its clock for a scan: that reads as a start in the future, which is
 * no time elapsed, not (wrapping) 24 days.
 */
function elapsedSince(startedMs: number, now: number): number {
  const elapsed = ((now & MS_MASK) - startedMs + MS_MASK + 1) % (MS_MASK + 1);
  return elapsed > FUTURE_FROM ? 0 : elapsed;
}

function check(deadline: FlowDeadline): void {
  deadline.check();
}

/**
 * Worker side: claims the task in `slot` for thread `threadId` and records its start; false when the
 * gateway abandoned it while it was queued (the worker then skips it).
 */
export function markStarted(words: Int32Array, slot: number, threadId: number): boolean {
  if (slot < 0) return true;
  // The start time first: once the state names a thread, the deadline reads it.
  Atomics.store(words, slot * SLOT_WORDS + 1, Date.now() & MS_MASK || 1);
  return Atomics.compareExchange(words, slot * SLOT_WORDS + STATE, 0, threadId) === 0;
}

/** The start word of a task not charged now: waiting for call-outs or finished (a start time is never 0, see markStarted). */
const UNCHARGED = 0;

/**
 * Worker side: stops charging the task in `slot` while its flow waits for call-outs (http.dispatch)
 * and returns the milliseconds it spent so far, for `resumeBudget`.
 */
export function pauseBudget(words: Int32Array, slot: number): number {
  if (slot < 0) return 0;
  const spent = elapsedSince(Atomics.load(words, slot * SLOT_WORDS + 1), Date.now());
  Atomics.store(words, slot * SLOT_WORDS + 1, UNCHARGED);
  return spent;
}

/**
 * Worker side: the task in `slot` has finished and its answer is on its way. Until the gateway reads
 * it (later under load, and more so with many flows in flight per worker) nothing is charged, so a
 * finished flow is never taken for one past its budget.
 */
export function markFinished(words: Int32Array, slot: number): void {
  if (slot >= 0) Atomics.store(words, slot * SLOT_WORDS + 1, UNCHARGED);
}

/** Worker side: charges the task again, as if it had started `spentMs` ago. */
export function resumeBudget(words: Int32Array, slot: number, spentMs: number): void {
  if (slot >= 0) Atomics.store(words, slot * SLOT_WORDS + 1, (Date.now() - spentMs) & MS_MASK || 1);
}

/** Worker side: records which policy (plan instance) the task in `slot` is running. */
export function markRunning(words: Int32Array, slot: number, instance: number): void {
  if (slot >= 0) Atomics.store(words, slot * SLOT_WORDS, instance + 1);
}

/** Worker side: records the plan instance being created and initialised (-1 when done). */
export function markCreating(words: Int32Array, instance: number): void {
  Atomics.store(words, words.length - 1, instance + 1);
}

/**
 * Worker side: the flow in `slot` starts creating plan instance `instance` (see CREATING): its clock
 * restarts for the load timeout; returns the milliseconds its policies had spent, for `endCreating`.
 */
export function beginCreating(words: Int32Array, slot: number, instance: number): number {
  markCreating(words, instance);
  if (slot < 0) return 0;
  const started = Atomics.load(words, slot * SLOT_WORDS + 1);
  const spent = started === UNCHARGED ? 0 : elapsedSince(started, Date.now());
  Atomics.store(words, slot * SLOT_WORDS + 1, Date.now() & MS_MASK || 1);
  Atomics.store(words, slot * SLOT_WORDS, (instance + 1) | CREATING);
  return spent;
}

/** Worker side: creation is over; the flow's budget counts on from what its policies had spent. */
export function endCreating(words: Int32Array, slot: number, instance: number, spentMs: number): void {
  markCreating(words, -1);
  if (slot < 0) return;
  Atomics.store(words, slot * SLOT_WORDS, instance + 1);
  resumeBudget(words, slot, spentMs);
}
