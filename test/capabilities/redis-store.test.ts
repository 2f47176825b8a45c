import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { startCapabilityServices } from "../../host/src/capabilities/index.js";
import { RedisStore } from "../../host/src/capabilities/stores/redis-store.js";
import { startCapabilityWorkers } from "./support/capability-workers.js";
import { hasRedisServer, startRedis, type RedisProcess } from "./support/redis-server.js";

if (!hasRedisServer) {
  process.stderr.write("SKIPPED redis store tests: redis-server is not on PATH (apt-get install -y redis-server)\n");
}

describe.skipIf(!hasRedisServer)("redis store (real redis-server)", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("counts atomically in epoch-aligned windows under its prefix, with an expiry", async () => {
    const store = new RedisStore({ url: redis.url, prefix: "t1:", now: () => 5_000_250 });
    await store.ready();
    const results = await Promise.all(Array.from({ length: 200 }, () => store.increment("hits", 1, 1000)));
    expect(results.map((r) => r.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(results[0]!.resetInMs).toBe(750);
    expect(await store.getCounter("hits", 1000)).toEqual({ value: 200, resetInMs: 750 });

    const probe = new Redis(redis.url);
    const keys = await probe.keys("*");
    expect(keys).toEqual(["t1:counter:1000:5000000:hits"]);
    const ttl = await probe.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(750 + 5000);
    probe.disconnect();
    await store.close();
  });

  it("stores kv values with a TTL and deletes them", async () => {
    const store = new RedisStore({ url: redis.url, prefix: "t2:" });
    await store.ready();
    const value = new Uint8Array([0, 255, 1, 128]);
    await store.kvSet("bin", value, 60_000);
    expect(await store.kvGet("bin")).toEqual(value);
    await store.kvSet("brief", new Uint8Array([1]), 30);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await store.kvGet("brief")).toBeUndefined();
    expect(await store.kvDelete("bin")).toBe(true);
    expect(await store.kvDelete("bin")).toBe(false);
    await expect(store.kvSet("big", new Uint8Array(2 * 1024 * 1024), 0)).rejects.toMatchObject({ kind: "too-large" });
    await store.close();
  });

  it("is exact across workers and across two stores (two gateway instances) on one Redis", async () => {
    const first = startCapabilityServices({ store: { redis: { url: redis.url, prefix: "t3:" } } });
    const second = startCapabilityServices({ store: { redis: { url: redis.url, prefix: "t3:" } } });
    const workers = [
      ...(await startCapabilityWorkers(first, 2, { grants: { counters: true } })),
      ...(await startCapabilityWorkers(second, 2, { grants: { counters: true } })),
    ];
    try {
      const increment = { capability: "counters", method: "increment", args: ["shared", 1n, 3_600_000n] };
      await Promise.all(workers.map((worker) => worker.run([increment], { repeat: 250 })));
      const [state] = await workers[3]!.run([{ capability: "counters", method: "get", args: ["shared", 3_600_000n] }]);
      expect(state).toMatchObject({ tag: "ok", val: { value: 1000n } });
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
      await first.close();
      await second.close();
    }
  });

  it("answers unavailable quickly once Redis is gone, and recovers when it is back", async () => {
    let own = await startRedis();
    const services = startCapabilityServices({ store: { redis: { url: own.url, timeoutMs: 200 } } });
    const [worker] = await startCapabilityWorkers(services, 1, { grants: { counters: true, kv: true }, bridgeTimeoutMs: 1000 });
    try {
      await (services.store as RedisStore).ready();
      const increment = { capability: "counters", method: "increment", args: ["k", 1n, 60_000n] };
      expect(await worker!.run([increment])).toMatchObject([{ tag: "ok" }]);
      await own.stop();
      const [counter, value] = await worker!.run([increment, { capability: "kv", method: "get", args: ["k"] }]);
      expect(counter).toMatchObject({ tag: "err", val: { tag: "unavailable" } });
      expect(value).toMatchObject({ tag: "err", val: { tag: "unavailable" } });
      own = await startRedis(own.port);
      await expect.poll(async () => (await worker!.run([increment]))[0], { timeout: 10_000, interval: 200 }).toMatchObject({ tag: "ok", val: { value: 1n } });
    } finally {
      await worker!.terminate();
      await services.close();
      await own.stop();
    }
  });

  it("answers unavailable when Redis was never reachable", async () => {
    const store = new RedisStore({ url: "redis://127.0.0.1:1", timeoutMs: 200 });
    await expect(store.increment("k", 1, 1000)).rejects.toMatchObject({ kind: "unavailable" });
    await expect(store.kvGet("k")).rejects.toMatchObject({ kind: "unavailable" });
    await store.close();
  });
});
