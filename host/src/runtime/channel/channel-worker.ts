import { parentPort, workerData } from "node:worker_threads";
import type { FlowResult, WorkerSetup } from "../flow-messages.js";
import { FlowExecutor } from "../worker/run-flow.js";
import { WARM_UP_SLOT, type FromWorker, type ToWorker } from "./channel-messages.js";

/**
 * Entry point of a channel worker thread (see PolicyChannel). Set-up happens inside the first
 * message, never while the module loads, so a failing set-up fails flows instead of respawning
 * a thread that dies at start.
 */
let executor: FlowExecutor | undefined;
const port = parentPort!;

port.on("message", (message: ToWorker) => {
  if (!Array.isArray(message)) {
    answer(WARM_UP_SLOT, () => executorOf().warmUp());
    return;
  }
  for (const task of message) answer(task.slot, () => executorOf().run(task));
});

function executorOf(): FlowExecutor {
  executor ??= new FlowExecutor(workerData as WorkerSetup);
  return executor;
}

function answer(slot: number, run: () => FromWorker[1]): void {
  let reply: FromWorker;
  try {
    reply = [slot, run()];
  } catch (error) {
    reply = [slot, undefined, error instanceof Error ? error.message : String(error)];
  }
  const transfer = transferables(reply[1]);
  try {
    port.postMessage(reply, transfer);
  } catch (error) {
    // A buffer that cannot move (a guest memory's, say) is copied; an answer that cannot be cloned fails its flow.
    try {
      if (transfer.length === 0) throw error;
      port.postMessage(reply);
    } catch (cloneError) {
      port.postMessage([slot, undefined, `unclonable answer: ${String(cloneError)}`] satisfies FromWorker);
    }
  }
}

/** Bodies a policy produced are moved to the gateway, not copied, when they own their whole buffer. */
function transferables(answer: FromWorker[1]): ArrayBuffer[] {
  if (!answer || !("outcome" in answer)) return [];
  const result = answer as FlowResult;
  const body = result.outcome === "continue" ? result.body : result.outcome === "respond" ? result.response.body : undefined;
  if (!(body instanceof Uint8Array) || !(body.buffer instanceof ArrayBuffer)) return [];
  return body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? [body.buffer] : [];
}
