// Worker entry for worker-modules.test.ts: runs the real policy worker (host/dist) on the setup in
// workerData, as a pool worker whose first task is a request flow (no warm-up in this thread), and
// reports every script the thread parsed, ES modules and CommonJS alike (the inspector sees both,
// synchronously), each with whether the flow had started by then (the state word of its progress
// slot names the thread once the flow's budget starts).
import { Session } from "node:inspector";
import { parentPort, workerData } from "node:worker_threads";

const SLOT_STATE_WORD = 2; // of slot 0 (see host/src/runtime/flow-deadline.ts)
const progress = new Int32Array(workerData.progress);
const session = new Session();
session.connect();
const scripts = [];
session.on("Debugger.scriptParsed", ({ params }) => scripts.push({ url: params.url, inFlow: Atomics.load(progress, SLOT_STATE_WORD) !== 0 }));
session.post("Debugger.enable");
const { default: runFlow } = await import("../../../host/dist/runtime/worker/policy-worker.js");
const result = await runFlow(workerData.probeTask);
session.post("Debugger.disable");
session.disconnect();
parentPort.postMessage({ scripts, result });
