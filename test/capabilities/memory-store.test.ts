import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../host/src/capabilities/stores/memory-store.js";
import { StoreError } from "../../host/src/capabilities/stores/shared-store.js";

function fakeClock(start: number): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

describe("memory store", () => {
  it("counts in fixed windows aligned to the epoch", async () => {
    const clock = fakeClock(1_000_000_250); // 250 ms into a 1 s window
    const store = new MemoryStore({ now: clock.now });
    expect(await store.increment("a", 2, 1000)).toEqual({ value: 2, resetInMs: 750 });
    clock.advance(700);
    expect(await store.increment("a", 3, 1000)).toEqual({ value: 5, resetInMs: 50 });
    clock.advance(50); // next window starts exactly now
    expect(await store.getCounter("a", 1000)).toEqual({ value: 0, resetInMs: 1000 });
    expect(await store.increment("a", 1, 1000)).toEqual({ value: 1, resetInMs: 1000 });
    expect(await store.getCounter("a", 60_000)).toMatchObject({ value: 0 }); // another window size, another counter
  });

  it("expires kv entries after their TTL and keeps TTL 0 until deleted", async () => {
    const clock = fakeClock(0);
    const store = new MemoryStore({ now: clock.now });
    await store.kvSet("short", new Uint8Array([1]), 100);
    await store.kvSet("forever", new Uint8Array([2]), 0);
    clock.advance(99);
    expect(await store.kvGet("short")).toEqual(new Uint8Array([1]));
    clock.advance(1);
    expect(await store.kvGet("short")).toBeUndefined();
    clock.advance(1e9);
    expect(await store.kvGet("forever")).toEqual(new Uint8Array([2]));
    expect(await store.kvDelete("forever")).toBe(true);
    expect(await store.kvDelete("forever")).toBe(false);
  });

  it("evicts the least recently used kv entry when full, by count and by bytes", async () => {
    const store = new MemoryStore({ maxKvEntries: 2 });
    await store.kvSet("a", new Uint8Array([1]), 0);
    await store.kvSet("b", new Uint8Array([2]), 0);
    await store.kvGet("a"); // b is now the least recently used
    await store.kvSet("c", new Uint8Array([3]), 0);
    expect(await store.kvGet("b")).toBeUndefined();
    expect(await store.kvGet("a")).toEqual(new Uint8Array([1]));
    expect(store.kvSize).toBe(2);

    const bySize = new MemoryStore({ maxKvBytes: 10 });
    await bySize.kvSet("x", new Uint8Array(6), 0);
    await bySize.kvSet("y", new Uint8Array(6), 0);
    expect(await bySize.kvGet("x")).toBeUndefined();
    expect(await bySize.kvGet("y")).toHaveLength(6);
  });

  it("refuses oversized keys and values with too-large", async () => {
    const store = new MemoryStore({ maxKeyBytes: 8, maxValueBytes: 4 });
    await expect(store.kvSet("123456789", new Uint8Array(1), 0)).rejects.toMatchObject({ kind: "too-large" });
    await expect(store.kvSet("k", new Uint8Array(5), 0)).rejects.toBeInstanceOf(StoreError);
    await expect(store.increment("123456789", 1, 1000)).rejects.toMatchObject({ kind: "too-large" });
  });

  it("keeps a stored value independent of the caller's buffer", async () => {
    const store = new MemoryStore();
    const value = new Uint8Array([1, 2]);
    await store.kvSet("k", value, 0);
    value[0] = 9;
    expect(await store.kvGet("k")).toEqual(new Uint8Array([1, 2]));
  });
});
