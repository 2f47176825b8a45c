import { parentPort, workerData } from "node:worker_threads";
import type { FlowResult } from "../flow-messages.js";
import { FlowExecutor } from "../worker/run-flow.js";
import { WARM_UP_SLOT, type ChannelWorkerData, type FromWorker, type ToWorker } from "./channel-messages.js";
import { FrameWriter } from "./frame-codec.js";
import { ResultRing } from "./result-ring.js";

/**
 * Entry point of a channel worker thread (see PolicyChannel). Set-up happens inside the first
 * message, never while the module loads, so a failing set-up fails flows instead of respawning
 * a thread that dies at start.
 */
const { setup, ring: ringMemory } = workerData as ChannelWorkerData;
const port = parentPort!;
const ring = new ResultRing(ringMemory);
const writer = new FrameWriter();
/** Bodies at least this large are moved to the gateway through the port instead of copied into the ring. */
const MOVE_BODY_BYTES = 16 * 1024;
let executor: FlowExecutor | undefined;

port.on("message", (message: ToWorker) => {
  if (!Array.isArray(message)) {
    post(run(WARM_UP_SLOT, () => executorOf().warmUp()));
    return;
  }
  for (const task of message) {
    const reply = run(task.slot, () => executorOf().run(task));
    if (!toRing(reply)) post(reply);
  }
});

function executorOf(): FlowExecutor {
  executor ??= new FlowExecutor(setup);
  return executor;
}

function run(slot: number, flow: () => FromWorker[1]): FromWorker {
  try {
    return [slot, flow()];
  } catch (error) {
    return [slot, undefined, error instanceof Error ? error.message : String(error)];
  }
}

function toRing(reply: FromWorker): boolean {
  const body = bodyOf(reply[1]);
  if (body && body.byteLength >= MOVE_BODY_BYTES) return false;
  try {
    return ring.write(writer.reset().write(reply).bytes);
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
