import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { FrameWriter } from "../../host/src/runtime/channel/frame-codec.js";
import { FrameRing } from "../../host/src/runtime/channel/frame-ring.js";

/**
 * The channel's wake-up protocol under a real second thread. The gateway writes a turn's flows, then
 * publishes once; the worker may take those frames and go back to sleep before that publish comes.
 * A publish that then only clears the "asleep" mark must still leave the worker woken by the next one
 * (it once left a worker asleep with flows in its ring for good: 503 PCS_ERR_POLICY_POOL_BUSY after
 * runtime.queueTimeoutMs). The reader here is the channel's own loop (drain, then waitForWrite).
 */
const READER = `
const { workerData } = require("node:worker_threads");
import(workerData.ring).then(({ FrameRing }) => {
  const ring = new FrameRing(workerData.buffer);
  const taken = new Int32Array(workerData.taken);
  for (;;) {
    ring.drain(() => Atomics.add(taken, 0, 1));
    ring.waitForWrite();
  }
});
`;

describe("frame ring wake-ups", () => {
  it("a reader in another thread takes every frame while publishes lag behind writes", async () => {
    const ring = new FrameRing(64 * 1024);
    const taken = new SharedArrayBuffer(4);
    const counter = new Int32Array(taken);
    const ringModule = new URL("../../host/dist/runtime/channel/frame-ring.js", import.meta.url).href;
    const reader = new Worker(READER, { eval: true, workerData: { buffer: ring.buffer, taken, ring: ringModule } });
    const frame = Uint8Array.from(new FrameWriter().write([1, "flow"]).bytes);
    let written = 0;
    let stalls = 0;
    const until = Date.now() + 1_500;
    while (Date.now() < until) {
      for (let i = 0; i < 1 + (written % 3); i++) if (ring.write(frame)) written++;
      // Let the reader take the frames (and maybe go to sleep) before this turn's publish.
      const spinUntil = performance.now() + (written % 7) * 0.002;
      while (performance.now() < spinUntil);
      ring.publish();
      // A reader asleep with frames waiting for more than 200 ms is the lost wake-up.
      if (written - Atomics.load(counter, 0) > 1_000) {
        const deadline = Date.now() + 200;
        while (written > Atomics.load(counter, 0) && Date.now() < deadline);
        if (written > Atomics.load(counter, 0)) stalls++;
        if (stalls > 0) break;
      }
    }
    const settle = Date.now() + 2_000;
    while (Atomics.load(counter, 0) < written && Date.now() < settle) await new Promise((resolve) => setTimeout(resolve, 5));
    const takenBeforeStop = Atomics.load(counter, 0);
    await reader.terminate();
    expect(stalls).toBe(0);
    expect(written).toBeGreaterThan(10_000);
    expect(takenBeforeStop).toBe(written);
  });
});
