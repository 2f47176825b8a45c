import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { startCapabilityServices } from "../../host/src/capabilities/index.js";
import { MemoryStore } from "../../host/src/capabilities/stores/memory-store.js";
import { RedisStore } from "../../host/src/capabilities/stores/redis-store.js";
import { startCapabilityWorkers } from "./support/capability-workers.js";
import { hasRedisServer, startRedis, type RedisProcess } from "./support/redis-server.js";

function fakeClock(start: number): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

const TEN_PER_SECOND_BURST_5 = { rate: 10, periodMs: 1000, burst: 5 };

describe("counters.take, memory store", () => {
  it("spends the burst at once, then refills one token per interval; a refused take changes nothing", async () => {
    const clock = fakeClock(1_000_000_250);
    const store = new MemoryStore({ now: clock.now });
    const states = [];
    for (let i = 0; i < 5; i++) states.push(await store.take("k", 1, TEN_PER_SECOND_BURST_5));
    expect(states.map((s) => [s.allowed, s.remaining])).toEqual([
      [true, 4],
      [true, 3],
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    expect(states[4]).toMatchObject({ retryInMs: 0, resetInMs: 500 });
    const refused = await store.take("k", 1, TEN_PER_SECOND_BURST_5);
    expect(refused).toEqual({ allowed: false, remaining: 0, retryInMs: 100, resetInMs: 500 });
    expect(await store.take("k", 1, TEN_PER_SECOND_BURST_5)).toEqual(refused); // refused takes are not charged
    expect(await store.take("k", 3, TEN_PER_SECOND_BURST_5)).toMatchObject({ allowed: false, retryInMs: 300 });

    clock.advance(99);
    expect(await store.take("k", 1, TEN_PER_SECOND_BURST_5)).toMatchObject({ allowed: false, retryInMs: 1 });
    clock.advance(1);
    expect(await store.take("k", 1, TEN_PER_SECOND_BURST_5)).toEqual({ allowed: true, remaining: 0, retryInMs: 0, resetInMs: 500 });
    clock.advance(10_000); // long idle: full again, never more than the burst
    expect(await store.take("k", 0, TEN_PER_SECOND_BURST_5)).toEqual({ allowed: true, remaining: 5, retryInMs: 0, resetInMs: 0 });
    expect(await store.take("other", 5, TEN_PER_SECOND_BURST_5)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("keeps fractional rates exact over a period (3 per second)", async () => {
    const clock = fakeClock(0);
    const store = new MemoryStore({ now: clock.now });
    const limit = { rate: 3, periodMs: 1000, burst: 3 };
    let allowed = 0;
    for (let ms = 0; ms < 10_000; ms += 10) {
      clock.advance(10);
      if ((await store.take("k", 1, limit)).allowed) allowed += 1;
    }
    expect(allowed).toBe(3 + 29); // the burst at 10-30 ms, then one per 333.333 ms, at 350 ms to 9,680 ms
  });

  it("refuses a cost above the burst and an oversized key with too-large", async () => {
    const store = new MemoryStore({ maxKeyBytes: 8 });
    await expect(store.take("k", 6, TEN_PER_SECOND_BURST_5)).rejects.toMatchObject({ kind: "too-large" });
    await expect(store.take("123456789", 1, TEN_PER_SECOND_BURST_5)).rejects.toMatchObject({ kind: "too-large" });
  });

  it("is served to workers through the bridge, with zero parameters counted as 1", async () => {
    const services = startCapabilityServices({ store: "memory" });
    const workers = await startCapabilityWorkers(services, 2, { grants: { counters: true } });
    try {
      const take = { capability: "counters", method: "take", args: ["shared", 1, { rate: 1, periodMs: 3_600_000n, burst: 300 }] };
      await Promise.all(workers.map((worker) => worker.run([take], { repeat: 200 })));
      const [state] = await workers[0]!.run([{ ...take, args: ["shared", 0, take.args[2]] }]);
      expect(state).toMatchObject({ tag: "ok", val: { allowed: true, remaining: 0, retryInMs: 0n } });
      const [zero] = await workers[1]!.run([{ ...take, args: ["zero", 1, { rate: 0, periodMs: 0n, burst: 0 }] }]);
      expect(zero).toEqual({ tag: "ok", val: { allowed: true, remaining: 0, retryInMs: 0n, resetInMs: 1n } });
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
      await services.close();
    }
  });
});

describe.skipIf(!hasRedisServer)("counters.take, redis store (real redis-server)", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("is exact across two stores (two gateway instances), with the key expiring when the bucket is full", async () => {
    const first = new RedisStore({ url: redis.url, prefix: "b1:" });
    const second = new RedisStore({ url: redis.url, prefix: "b1:" });
    await Promise.all([first.ready(), second.ready()]);
    const limit = { rate: 1, periodMs: 60_000, burst: 50 };
    const states = await Promise.all(Array.from({ length: 160 }, (_, i) => (i % 2 ? first : second).take("k", 1, limit)));
    expect(states.filter((s) => s.allowed)).toHaveLength(50);
    expect(
      states
        .filter((s) => s.allowed)
        .map((s) => s.remaining)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const refused = states.find((s) => !s.allowed)!;
    expect(refused.retryInMs).toBeGreaterThan(0);
    expect(refused.retryInMs).toBeLessThanOrEqual(60_000);

    const probe = new Redis(redis.url);
    expect(await probe.keys("*")).toEqual(["b1:bucket:k"]);
    const ttl = await probe.pttl("b1:bucket:k");
    expect(ttl).toBeGreaterThan(49 * 60_000);
    expect(ttl).toBeLessThanOrEqual(50 * 60_000);
    probe.disconnect();

    expect(await first.take("k", 0, limit)).toMatchObject({ allowed: true, remaining: 0 });
    await expect(first.take("k", 51, limit)).rejects.toMatchObject({ kind: "too-large" });
    await first.close();
    await second.close();
  });

  it("refills on Redis's clock: a 20 ms interval gives a token back", async () => {
    const store = new RedisStore({ url: redis.url, prefix: "b2:", now: () => 0 }); // the gateway's clock is not used
    await store.ready();
    const limit = { rate: 50, periodMs: 1000, burst: 1 };
    expect(await store.take("k", 1, limit)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await store.take("k", 1, limit)).toMatchObject({ allowed: false });
    await expect.poll(async () => (await store.take("k", 1, limit)).allowed, { timeout: 2_000, interval: 25 }).toBe(true);
    await store.close();
  });

  it("answers unavailable when Redis cannot be reached", async () => {
    const store = new RedisStore({ url: "redis://127.0.0.1:1", timeoutMs: 200 });
    await expect(store.take("k", 1, TEN_PER_SECOND_BURST_5)).rejects.toMatchObject({ kind: "unavailable" });
    await store.close();
  });
});
