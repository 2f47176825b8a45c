import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { SharedCounters } from "../../host/src/capabilities/stores/shared-counters.js";

/** Workers load the compiled module (npm test builds host/dist first), as policy workers do. */
const MODULE = new URL("../../host/dist/capabilities/stores/shared-counters.js", import.meta.url).href;

/** Runs `operations` increments (or takes) of `key` in each of `threads` real worker threads at once. */
async function hammer(table: SharedCounters, threads: number, operations: number, op: "increment" | "take"): Promise<number[]> {
  const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData.module).then(({ SharedCounters }) => {
      const table = new SharedCounters(workerData.buffer);
      let allowed = 0;
      for (let i = 0; i < workerData.operations; i++) {
        if (workerData.op === "increment") table.increment("shared-key", 1, 60_000);
        else if (table.take("bucket-key", 1, { rate: 1, periodMs: 3_600_000, burst: 500 }).allowed) allowed++;
      }
      parentPort.postMessage(allowed);
    });`;
  return Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(source, { eval: true, workerData: { module: MODULE, buffer: table.buffer, operations, op } });
          worker.once("message", (allowed: number) => void worker.terminate().then(() => resolve(allowed)));
          worker.once("error", reject);
        }),
    ),
  );
}

describe("SharedCounters (the memory backend's counters, in shared memory)", () => {
  it("counts exactly across threads updating one key at once", async () => {
    const table = new SharedCounters(1024);
    await hammer(table, 4, 5_000, "increment");
    expect(table.getCounter("shared-key", 60_000).value).toBe(20_000);
  });

  it("lets exactly a bucket's burst through across threads", async () => {
    const table = new SharedCounters(1024);
    const allowed = await hammer(table, 4, 400, "take");
    expect(allowed.reduce((a, b) => a + b, 0)).toBe(500);
  });

  it("starts a new window at zero and keeps keys and window sizes apart", () => {
    let now = 1_000_000;
    const table = new SharedCounters(64, () => now);
    expect(table.increment("a", 3, 1_000)).toEqual({ value: 3, resetInMs: 1_000 });
    expect(table.increment("a", 1, 60_000).value).toBe(1);
    expect(table.increment("b", 1, 1_000).value).toBe(1);
    now += 400;
    expect(table.increment("a", 2, 1_000)).toEqual({ value: 5, resetInMs: 600 });
    now += 600;
    expect(table.getCounter("a", 1_000)).toEqual({ value: 0, resetInMs: 1_000 });
    expect(table.increment("a", 1, 1_000).value).toBe(1);
  });

  it("reuses expired slots, and gives up the soonest-expiring live one when every probed slot is live", () => {
    let now = 0;
    const table = new SharedCounters(32, () => now);
    for (let i = 0; i < 32; i++) table.increment(`short-${i}`, 1, 1_000);
    now = 5_000; // every counter's window has ended: their slots are free again
    for (let i = 0; i < 32; i++) table.increment(`long-${i}`, 1, 3_600_000);
    for (let i = 0; i < 32; i++) expect(table.getCounter(`long-${i}`, 3_600_000).value).toBe(1);
    table.increment("one-more", 7, 60_000); // the table is full of live counters
    expect(table.getCounter("one-more", 60_000).value).toBe(7);
    const kept = Array.from({ length: 32 }, (_, i) => table.getCounter(`long-${i}`, 3_600_000).value);
    expect(kept.filter((value) => value === 1)).toHaveLength(31);
  });

  it("takes over a lock left by a thread that was terminated while holding it", () => {
    const table = new SharedCounters(64);
    const lock = new Int32Array(table.buffer);
    Atomics.store(lock, 0, ((Date.now() - 1_000) & 0x3fffffff) | 0x40000000); // taken a second ago, never released
    expect(table.increment("k", 1, 60_000).value).toBe(1);
    expect(Atomics.load(lock, 0)).toBe(0);
  });
});
