import type { FlowResult, FlowTask, WarmUpReport, WorkerSetup } from "../flow-messages.js";
import type { ProgressSlots } from "../flow-deadline.js";
import { isAnswer, PORT_BODY_BYTES, WARM_UP_SLOT, type FromWorker, type ToWorker } from "./channel-messages.js";
import { giveSetup, isBooted, RING_BYTES, startThread, type ChannelThread } from "./channel-thread.js";
import { FrameWriter } from "./frame-codec.js";

/** How often the one deadline scanner looks at the flows in progress (budgets and queue timeouts). */
const SCAN_MS = 5;

const RESPAWN_PAUSE_MS = 1_000;

/** Runs of a flow whose worker died before it started: the first and one more. */
const MAX_ATTEMPTS = 2;

export interface ChannelOptions {
  workers: number;
  /** Flows sent to one worker before it answers (runtime.tasksPerWorker); the rest wait here. */
  tasksPerWorker: number;
  queueTimeoutMs: number;
  /** What a flow creating a policy instance may take for that (runtime.loadTimeoutMs; see flow-deadline.ts, CREATING). */
  loadTimeoutMs: number;
  setup: WorkerSetup;
  /** Threads booted ahead (standby, see channel-thread.ts), given `setup` now; the rest are started. */
  booted?: ChannelThread[];
  /** The progress slots of `setup.progress`, where workers record what they run. */
  slots: ProgressSlots;
  /** Anything else a worker posts (the capability bridge connecting). */
  onMessage: (message: unknown) => void;
  onWorkerReplaced: () => void;
  onError: (error: unknown) => void;
}

/** What the channel has carried since it started (tests and benchmarks read it). */
export interface ChannelStats {
  flows: number;
  /** Messages that carried flows to workers: fewer than flows when flows arrive together. */
  batches: number;
  /** Answers taken from the workers' rings, and answers posted instead (large bodies, moved). */
  ringAnswers: number;
  portAnswers: number;
  /** Request bodies sent by port: in shared memory (joinBody), so not copied, or cloned. */
  sharedBodies: number;
  copiedBodies: number;
}

/** A flow that did not complete: given up on (reason) or lost with its worker (error). */
export interface ChannelFailure {
  outcome: undefined;
  reason: "budget" | "queue" | undefined;
  /** The plan instance that was running, or -1. */
  runningInstance: number;
  error: Error | undefined;
}

interface Flow {
  task: FlowTask;
  budgetMs: number;
  queuedAt: number;
  attempt: number;
  resolve: (answer: FlowResult | ChannelFailure) => void;
}

/** One worker thread and the flows sent to it, by slot. */
interface Lane extends ChannelThread {
  flows: Map<number, Flow>;
  stopping: boolean;
  exited: boolean;
  answered: boolean;
}

/**
 * The channel between the gateway and its policy workers, in place of a piscina pool: its own
 * threads, each with two rings in shared memory (see FrameRing): flows go in compact binary frames,
 * sent when the event-loop turn in which they arrived ends, and a worker is woken only when it
 * sleeps; answers come back the same way, several taken per wake-up of the gateway. One interval
 * timer watches every flow's progress slot for its budget and queue timeout, instead of a timer
 * per flow. A flow past its budget terminates its worker (replaced at once); flows sent to that worker
 * that never started run again elsewhere.
 */
export class PolicyChannel {
  readonly #lanes: Lane[] = [];
  readonly #queue: Flow[] = [];
  readonly #writer = new FrameWriter();
  #flushing = false;
  #scanner: NodeJS.Timeout | undefined;
  #closed = false;
  readonly stats: ChannelStats = { flows: 0, batches: 0, ringAnswers: 0, portAnswers: 0, sharedBodies: 0, copiedBodies: 0 };
  #warmUp: { resolve: (report: WarmUpReport) => void; reject: (error: Error) => void; lane: Lane } | undefined;

  constructor(private readonly options: ChannelOptions) {
    const booted = options.booted?.slice(0, options.workers) ?? [];
    for (const thread of booted) giveSetup(thread, options.setup);
    while (booted.length < options.workers) booted.push(startThread(options.setup));
    for (const thread of booted) this.#lanes.push(this.#adopt(thread));
  }

  /** Runs one flow within `budgetMs` of its start; resolves to its result or to why it has none. */
  run(task: FlowTask, budgetMs: number): Promise<FlowResult | ChannelFailure> {
    const slot = this.options.slots.take();
    if (slot < 0 || this.#closed)
      return Promise.resolve(failure(slot < 0 ? "queue" : undefined, -1, slot < 0 ? undefined : new Error("the policy runtime is closed")));
    task.slot = slot;
    return new Promise((resolve) => {
      this.#queue.push({ task, budgetMs, queuedAt: Date.now(), attempt: 1, resolve });
      this.#schedule();
    });
  }

  /** Creates and initialises every instance in one worker (PolicyRuntime.warmUp watches its deadline). */
  warmUp(): Promise<WarmUpReport> {
    const lane = this.#lanes[0]!;
    return new Promise((resolve, reject) => {
      this.#warmUp = { resolve, reject, lane };
      this.#sendWarmUp(lane);
    });
  }

  /** Flows waiting for a worker to start them, and workers with flows. */
  gauges(): { queued: number; busy: number } {
    let queued = this.#queue.length;
    let busy = 0;
    for (const lane of this.#lanes) {
      if (lane.flows.size > 0) [busy, queued] = [busy + 1, queued + lane.flows.size - 1];
    }
    return { queued, busy };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#scanner);
    const closing = new Error("the policy runtime is closed");
    for (const flow of this.#queue.splice(0)) flow.resolve(failure(undefined, -1, closing));
    await Promise.all(this.#lanes.map((lane) => lane.worker.terminate()));
    for (const lane of this.#lanes) lane.bodies.close();
  }

  /** Serves flows through a started thread. */
  #adopt(thread: ChannelThread): Lane {
    const lane: Lane = { ...thread, flows: new Map(), stopping: false, exited: false, answered: false };
    const { worker } = lane;
    worker.on("message", (message: unknown) => {
      if (isBooted(message)) return;
      if (!isAnswer(message)) return this.options.onMessage(message);
      if (message[0] !== WARM_UP_SLOT) this.stats.portAnswers++;
      this.#answer(lane, message);
    });
    worker.on("error", (error) => this.options.onError(error));
    worker.on("exit", () => this.#lost(lane));
    this.#drain(lane);
    return lane;
  }

  /** Takes the answers in the lane's ring, then waits for more while the worker lives. */
  #drain(lane: Lane): void {
    for (;;) {
      this.#take(lane);
      if (lane.exited) return;
      const next = lane.answers.nextWrite();
      if (next) return void next.then(() => this.#drain(lane));
    }
  }

  #answer(lane: Lane, [slot, answer, error]: FromWorker): void {
    lane.answered = true;
    if (slot === WARM_UP_SLOT) {
      const warmUp = this.#warmUp?.lane === lane ? this.#warmUp : undefined; // not a replacement's
      this.#warmUp = warmUp ? undefined : this.#warmUp;
      if (error !== undefined) warmUp?.reject(new Error(error));
      else warmUp?.resolve(answer as WarmUpReport);
      return;
    }
    const flow = lane.flows.get(slot);
    if (!flow) return; // given up on already
    lane.flows.delete(slot);
    this.options.slots.release(slot);
    flow.resolve(error === undefined ? (answer as FlowResult) : failure(undefined, -1, new Error(error)));
    if (this.#queue.length > 0) this.#schedule();
  }

  #take(lane: Lane): void {
    lane.answers.drain((answer) => {
      this.stats.ringAnswers++;
      this.#answer(lane, answer as FromWorker);
    });
  }

  /** A worker exited (terminated for a budget, or crashed): its unstarted flows run again elsewhere. */
  #lost(lane: Lane): void {
    lane.exited = true;
    this.#drain(lane); // answers it wrote before it ended still count
    lane.answers.wake();
    lane.bodies.close();
    const index = this.#lanes.indexOf(lane);
    if (index >= 0) this.#lanes.splice(index, 1);
    if (this.#warmUp?.lane === lane) this.#warmUp.reject(new Error("the policy worker exited during warm-up"));
    const { slots } = this.options;
    const rerun: Flow[] = [];
    for (const [slot, flow] of lane.flows) {
      if (slots.state(slot) === 0 && flow.attempt < MAX_ATTEMPTS && !this.#closed) {
        rerun.push({ ...flow, attempt: flow.attempt + 1, queuedAt: Date.now() });
      } else {
        flow.resolve(failure(undefined, slots.runningInstance(slot), new Error("the policy worker exited")));
      }
    }
    lane.flows.clear();
    if (this.#closed) return;
    this.#queue.unshift(...rerun);
    const replace = (): void => {
      if (this.#closed) return;
      const fresh = this.#adopt(startThread(this.options.setup));
      // Its instances are created before the flows queued behind the warm-up, so their budgets do not pay for that.
      this.#sendWarmUp(fresh);
      this.#lanes.push(fresh);
      this.options.onWorkerReplaced();
      this.#schedule();
    };
    // A worker that ended before answering anything (it cannot start) is replaced after a pause, not in a tight loop.
    if (lane.stopping || lane.answered) replace();
    else setTimeout(replace, RESPAWN_PAUSE_MS).unref();
  }

  #sendWarmUp(lane: Lane): void {
    lane.requests.write(this.#writer.reset().write([{ flow: "warm-up" }] satisfies ToWorker).bytes);
    lane.requests.publish();
  }

  #schedule(): void {
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(this.#flush);
    }
    this.#scanner ??= setInterval(this.#scan, SCAN_MS).unref();
  }

  /** Sends the waiting flows, each to the least loaded worker with room. */
  readonly #flush = (): void => {
    this.#flushing = false;
    const full = new Set<Lane>();
    const fed = new Set<Lane>();
    while (this.#queue.length > 0) {
      let lane: Lane | undefined;
      for (const candidate of this.#lanes) {
        if (candidate.stopping || full.has(candidate) || candidate.flows.size >= this.options.tasksPerWorker) continue;
        if (!lane || rank(candidate) < rank(lane)) lane = candidate;
      }
      if (!lane) break;
      const flow = this.#queue[0]!;
      const sent = this.#send(lane, flow.task);
      if (sent === "full") {
        full.add(lane);
        continue;
      }
      this.#queue.shift();
      if (sent === "too-large") {
        this.options.slots.release(flow.task.slot);
        flow.resolve(failure(undefined, -1, new Error("the flow's head is too large for the policy channel")));
        continue;
      }
      lane.flows.set(flow.task.slot, flow);
      fed.add(lane);
      this.stats.flows++;
    }
    for (const lane of fed) lane.requests.publish();
    this.stats.batches += fed.size;
  };

  /** Writes one flow into the lane's request ring; a large body goes by port first, in the same order. */
  #send(lane: Lane, task: FlowTask): "sent" | "full" | "too-large" {
    const onPort = task.body !== undefined && task.body.byteLength >= PORT_BODY_BYTES;
    const frame = this.#writer.reset().write((onPort ? [{ ...task, body: undefined } as unknown as FlowTask, true] : [task, false]) satisfies ToWorker).bytes;
    if (frame.byteLength > RING_BYTES / 2) return "too-large";
    if (!lane.requests.fits(frame.byteLength)) return "full";
    if (onPort) {
      lane.bodies.postMessage(task.body);
      if (task.body!.buffer instanceof SharedArrayBuffer) this.stats.sharedBodies++;
      else this.stats.copiedBodies++;
    }
    lane.requests.write(frame);
    return "sent";
  }

  /** The one deadline timer: queue timeouts of waiting flows, budgets of running ones. */
  readonly #scan = (): void => {
    const now = Date.now();
    const { slots, queueTimeoutMs } = this.options;
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const flow = this.#queue[i]!;
      if (now - flow.queuedAt < queueTimeoutMs) continue;
      this.#queue.splice(i, 1);
      slots.release(flow.task.slot); // no worker ever saw it
      flow.resolve(failure("queue", -1, undefined));
    }
    for (const lane of this.#lanes) {
      // Answers are normally taken when the ring's wait wakes; this bounds a missed wake to one scan.
      if (lane.flows.size > 0) this.#take(lane);
      for (const [slot, flow] of lane.flows) {
        let state = slots.state(slot);
        if (state === 0 && now - flow.queuedAt >= queueTimeoutMs) {
          state = slots.abandonIfQueued(slot);
          if (state === 0) this.#giveUp(lane, slot, flow, "queue");
        }
        if (state > 0 && slots.runningFor(slot, now) >= slots.limitOf(slot, flow.budgetMs, this.options.loadTimeoutMs)) {
          this.#giveUp(lane, slot, flow, "budget");
          lane.stopping = true;
          void lane.worker.terminate();
        }
      }
    }
    if (this.#queue.length === 0 && this.#lanes.every((lane) => lane.flows.size === 0)) {
      clearInterval(this.#scanner);
      this.#scanner = undefined;
    }
  };

  /** Its slot is never reused: the worker may still write to it. */
  #giveUp(lane: Lane, slot: number, flow: Flow, reason: "budget" | "queue"): void {
    lane.flows.delete(slot);
    flow.resolve(failure(reason, this.options.slots.runningInstance(slot), undefined));
  }
}

/**
 * Which worker takes the next flow: the least loaded, except that a worker awake with at most one flow
 * comes first: writing behind it costs no wake-up (a thread wake-up is the largest part of a flow's
 * cost on the gateway's thread), while its one flow ends in microseconds when policies are quick.
 */
function rank(lane: Lane): number {
  const awake = lane.flows.size > 0 && !lane.requests.readerAsleep();
  return awake && lane.flows.size <= AWAKE_SHARE ? -1 : lane.flows.size;
}

/** Flows a worker awake may hold and still be preferred to a sleeping one. */
const AWAKE_SHARE = 1;

function failure(reason: ChannelFailure["reason"], runningInstance: number, error: Error | undefined): ChannelFailure {
  return { outcome: undefined, reason, runningInstance, error };
}
