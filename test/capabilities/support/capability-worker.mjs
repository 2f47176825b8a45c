// A worker thread that builds capabilities from workerData.grants and runs the
// calls the test posts to it, the way the runtime's workers will.
import { parentPort, workerData } from "node:worker_threads";
import pino from "pino";
import { createCapabilities, setFlowScope } from "../../../host/dist/capabilities/index.js";

const capabilities = createCapabilities(workerData.grants, {
  policyName: workerData.policyName ?? "test-policy",
  baseDir: workerData.baseDir ?? process.cwd(),
  logger: pino({ level: "silent" }),
  bridgeTimeoutMs: workerData.bridgeTimeoutMs,
});

parentPort.on("message", (command) => {
  if (command?.kind !== "run") return;
  const { id, calls, repeat = 1, flow } = command;
  try {
    if (flow) setFlowScope(flow);
    let results = [];
    for (let i = 0; i < repeat; i++) {
      results = calls.map(({ capability, method, args }) => capabilities[capability][method](...args));
    }
    parentPort.postMessage({ kind: "result", id, results });
  } catch (error) {
    parentPort.postMessage({ kind: "result", id, error: `${error.code ?? ""} ${error.message}` });
  }
});
parentPort.postMessage({ kind: "ready" });
