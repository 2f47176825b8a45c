import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import type { FlowResult, FlowTask, WorkerSetup } from "../flow-messages.js";
import { FlowExecutor } from "../worker/run-flow.js";
import { BOOTED, PORT_BODY_BYTES, WARM_UP_SLOT, type ChannelWorkerData, type FromWorker, type ToWorker } from "./channel-messages.js";
import { FrameWriter } from "./frame-codec.js";
import { FrameRing } from "./frame-ring.js";

/**
 * Entry point of a channel worker thread (see PolicyChannel): takes flows from its request ring and
 * runs them one at a time. With nothing to do it sleeps in Atomics.wait (capability calls block on
 * the bridge, logs are written synchronously); while some flow waits for its policies' call-outs
 * (http.dispatch) it waits with Atomics.waitAsync instead, so its event loop completes them, and
 * answers each such flow when its calls are answered. The executor is created inside the first
 * flow, never while the module loads, so a failing set-up fails flows instead of a thread that dies
 * at start.
 */
const data = workerData as ChannelWorkerData;
const port = parentPort!;
const requests = new FrameRing(data.requests);
const answers = new FrameRing(data.answers);
const writer = new FrameWriter();
let executor: FlowExecutor | undefined;
let setup = data.setup;
/** Flows waiting for call-outs. */
let waiting = 0;

/**
 * Answers written while a batch of frames is served are published (the gateway woken) once, after the
 * batch: a wake-up per flow was a sixth of a busy worker's CPU. Written is what counts for a worker
 * terminated mid-batch (the gateway still takes those answers).
 */
let inBatch = false;
let unpublished = false;

port.postMessage(BOOTED);
void serveForever();

async function serveForever(): Promise<void> {
  for (;;) {
    inBatch = true;
    requests.drain((frame) => serve(frame as ToWorker));
    inBatch = false;
    if (unpublished) {
      unpublished = false;
      answers.publish();
    }
    if (waiting === 0) requests.waitForWrite();
    else await requests.nextWrite();
  }
}

function serve([task, bodyOnPort]: ToWorker): void {
  setup ??= setupFromPort();
  if (task.flow === "warm-up") return post(run(WARM_UP_SLOT, () => executorOf().warmUp()));
  if (bodyOnPort) task.body = receiveMessageOnPort(data.bodies)?.message as Uint8Array;
  const slot = task.slot;
  let answer: FlowResult | Promise<FlowResult>;
  try {
    answer = executorOf().run(task as FlowTask);
  } catch (error) {
    return reply([slot, undefined, messageOf(error)]);
  }
  if (!(answer instanceof Promise)) return reply([slot, answer]);
  waiting++;
  answer.then(
    (result) => {
      waiting--;
      reply([slot, result]);
    },
    (error: unknown) => {
      waiting--;
      reply([slot, undefined, messageOf(error)]);
    },
  );
}

function reply(answer: FromWorker): void {
  if (!toRing(answer)) post(answer);
  else if (inBatch) unpublished = true;
  else answers.publish();
}

function executorOf(): FlowExecutor {
  if (!setup) throw new Error("standby channel worker: its setup did not arrive before its first flow");
  executor ??= new FlowExecutor(setup, { asyncCallOuts: true });
  return executor;
}

/** A standby thread's setup: posted on the bodies port before its first frame, so ahead of any body. */
function setupFromPort(): WorkerSetup | undefined {
  return (receiveMessageOnPort(data.bodies)?.message as { setup?: WorkerSetup } | undefined)?.setup;
}

function run(slot: number, flow: () => FromWorker[1]): FromWorker {
  try {
    return [slot, flow()];
  } catch (error) {
    return [slot, undefined, messageOf(error)];
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toRing(reply: FromWorker): boolean {
  const body = bodyOf(reply[1]);
  if (body && body.byteLength >= PORT_BODY_BYTES) return false;
  try {
    return answers.write(writer.reset().write(reply).bytes);
  } catch {
    return false; // not encodable: the port's structured clone says why, or carries it
  }
}

function post(reply: FromWorker): void {
  const body = bodyOf(reply[1]);
  // A body that owns its whole buffer is moved, not copied.
  const transfer = body?.buffer instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? [body.buffer] : [];
  try {
    port.postMessage(reply, transfer);
  } catch (error) {
    // A buffer that cannot move (a guest memory's, say) is copied; an answer that cannot be cloned fails its flow.
    try {
      if (transfer.length === 0) throw error;
      port.postMessage(reply);
    } catch (cloneError) {
      port.postMessage([reply[0], undefined, `unclonable answer: ${String(cloneError)}`] satisfies FromWorker);
    }
  }
}

function bodyOf(answer: FromWorker[1]): Uint8Array | undefined {
  if (!answer || !("outcome" in answer)) return undefined;
  const result = answer as FlowResult;
  return result.outcome === "continue" ? result.body : result.outcome === "respond" ? result.response.body : undefined;
}
