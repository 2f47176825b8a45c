import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { BridgeServer } from "../../host/src/capabilities/index.js";

/** A worker that connects its bridge and makes the calls it is sent, reporting results or error codes. */
const CALLER = `
import { parentPort } from "node:worker_threads";
import { connectBridge } from ${JSON.stringify(new URL("../../host/dist/capabilities/bridge/bridge-client.js", import.meta.url).href)};
const bridge = connectBridge((message, transfer) => parentPort.postMessage(message, transfer));
parentPort.on("message", ({ name, args, timeoutMs, notify }) => {
  if (notify) { bridge.notify(name, args); parentPort.postMessage({ done: true }); return; }
  try { parentPort.postMessage({ value: bridge.callSync(name, args, timeoutMs) }); }
  catch (error) { parentPort.postMessage({ code: error.code, message: error.message }); }
});
`;

interface Answer {
  value?: unknown;
  code?: string;
  message?: string;
  done?: boolean;
}

function startCaller(server: BridgeServer): { call: (message: object) => Promise<Answer>; worker: Worker } {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(CALLER)}`));
  const answers: ((answer: Answer) => void)[] = [];
  worker.on("message", (message: Answer) => {
    if (!server.accept(message)) answers.shift()?.(message);
  });
  const call = (message: object): Promise<Answer> =>
    new Promise((resolve) => {
      answers.push(resolve);
      worker.postMessage(message);
    });
  return { call, worker };
}

describe("sync bridge", () => {
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.terminate();
  });

  it("returns the main thread's async answer to the blocked worker, by structured clone", async () => {
    const server = new BridgeServer().register("echo", async (args: unknown) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { args, seen: "main" };
    });
    const caller = startCaller(server);
    worker = caller.worker;
    const args = { bytes: new Uint8Array([1, 2, 3]), big: 2n ** 63n, nested: [{ a: "é" }] };
    const answer = await caller.call({ name: "echo", args, timeoutMs: 2000 });
    expect(answer.value).toEqual({ args, seen: "main" });
    expect(server.connections).toBe(1);
  });

  it("reports a handler error as PCS_ERR_BRIDGE_HANDLER and an unknown handler as PCS_ERR_BRIDGE_UNAVAILABLE", async () => {
    const server = new BridgeServer().register("fail", () => {
      throw new Error("store exploded");
    });
    const caller = startCaller(server);
    worker = caller.worker;
    const answer = await caller.call({ name: "fail", args: null, timeoutMs: 2000 });
    expect(answer.code).toBe("PCS_ERR_BRIDGE_HANDLER");
    expect(answer.message).toContain("store exploded");
    const unknown = await caller.call({ name: "nobody", args: null, timeoutMs: 2000 });
    expect(unknown.code).toBe("PCS_ERR_BRIDGE_UNAVAILABLE");
    expect(unknown.message).toContain('no bridge handler named "nobody"');
  });

  it("times out cleanly, then drops the late answer and serves the next call", async () => {
    let release: () => void = () => {};
    const server = new BridgeServer().register("slow", () => new Promise((resolve) => (release = () => resolve("late")))).register("fast", () => "fast");
    const caller = startCaller(server);
    worker = caller.worker;
    const timedOut = await caller.call({ name: "slow", args: null, timeoutMs: 100 });
    expect(timedOut.code).toBe("PCS_ERR_BRIDGE_TIMEOUT");
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await caller.call({ name: "fast", args: null, timeoutMs: 2000 });
    expect(next.value).toBe("fast");
  });

  it("delivers fire-and-forget notices without an answer", async () => {
    const seen: unknown[] = [];
    const server = new BridgeServer().register("note", (args: unknown) => void seen.push(args));
    const caller = startCaller(server);
    worker = caller.worker;
    await caller.call({ name: "note", args: { n: 1 }, notify: true });
    await caller.call({ name: "note", args: { n: 2 }, notify: true });
    await expect.poll(() => seen.length).toBe(2);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
