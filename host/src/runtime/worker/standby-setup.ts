import { BroadcastChannel, parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import type { WorkerSetup } from "../flow-messages.js";

/**
 * A policy worker's setup. Usually piscina's workerData; a standby worker (host/src/reload/standby-workers.ts)
 * is started before its configuration exists and gets `{ standbyChannel }` instead: the setup is broadcast on
 * that channel when the pool is taken, or on request (a worker started later, replacing one, asks for it).
 */
export interface StandbyWorkerData {
  standbyChannel: string;
}

/** What a standby worker posts to ask for its setup, and what the pool broadcasts. */
export type StandbyMessage = { standbySetupRequest: string } | { standbySetup: WorkerSetup };

const standbyName = (workerData as Partial<StandbyWorkerData> | undefined)?.standbyChannel;
// Subscribed while the module loads: a broadcast reaches only channels open when it is sent.
const channel = standbyName === undefined ? undefined : new BroadcastChannel(standbyName);
channel?.unref();

/** Waiting for a requested setup: the gateway's event loop answers it, normally within milliseconds. */
const SETUP_WAIT_MS = 10_000;

let received: WorkerSetup | undefined;

export function workerSetup(): WorkerSetup {
  if (!channel) return workerData as WorkerSetup;
  if (received) return received;
  let setup = latestSetup(channel);
  if (!setup) {
    parentPort!.postMessage({ standbySetupRequest: standbyName! } satisfies StandbyMessage);
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const end = Date.now() + SETUP_WAIT_MS;
    while (!setup && Date.now() < end) {
      Atomics.wait(pause, 0, 0, 2);
      setup = latestSetup(channel);
    }
  }
  if (!setup) throw new Error(`standby worker: no setup arrived on ${standbyName} within ${SETUP_WAIT_MS} ms`);
  channel.close();
  received = setup;
  return setup;
}

function latestSetup(from: BroadcastChannel): WorkerSetup | undefined {
  let setup: WorkerSetup | undefined;
  for (let received = receiveMessageOnPort(from as never); received; received = receiveMessageOnPort(from as never)) {
    const message = received.message as Partial<Extract<StandbyMessage, { standbySetup: WorkerSetup }>>;
    if (message.standbySetup) setup = message.standbySetup;
  }
  return setup;
}
