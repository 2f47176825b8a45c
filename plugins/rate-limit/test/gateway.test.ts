import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, startUpstream, stopAll, track } from "../../../test/support/servers.js";
import { plugin } from "../../../test/runtime/support/policies.js";
import { hasRedisServer, startRedis } from "../../../test/capabilities/support/redis-server.js";

afterEach(stopAll);

const build = (name: string) => fileURLToPath(new URL(`../../${name}/build/${name}.wasm`, import.meta.url));
const plugins = `plugins:
  rate-limit:
    path: ${build("rate-limit")}
    capabilities: { counters: true, expression: true, crypto: true }
    limits: { timeoutMs: 2000 } # exact counts: a loaded test machine must not turn a call into a timeout
  json-fault: { path: ${build("json-fault")} }
${plugin("tag")}`;

/** A route body: rate-limit in the request and response flows, json-fault in the fault flow, `backend` as given. */
const limited = (withBlock: string, extra = "", backend = "{ echo: true }") => `
        policies:
          request:${extra}
            - { plugin: rate-limit, with: ${withBlock} }
          response: [ { plugin: rate-limit, with: ${withBlock} } ]
          fault: [ { plugin: json-fault } ]
        backend: ${backend}`;

describe("rate-limit (gateway)", () => {
  it("is exact across two workers, answers 429 with Retry-After and RateLimit fields, reshaped by the fault flow", async () => {
    const upstream = await startUpstream((_req, res) => res.end("ok"));
    const withBlock = `{ key: 'request.headers["x-client"]', limits: [ { name: hourly, requests: 10, window: 1h } ] }`;
    const gateway = await startTestGateway(
      `${plugins}runtime: { workers: 2 }\n${routesYaml(`
      - name: api${limited(withBlock, "", `{ url: "${upstream.url}" }`)}`)}`,
    );
    const responses = await Promise.all(Array.from({ length: 30 }, () => rawRequest(gateway.url("/"), { headers: { "x-client": "c1" } })));
    const admitted = responses.filter((r) => r.status === 200);
    const rejected = responses.filter((r) => r.status === 429);
    expect(admitted).toHaveLength(10);
    expect(rejected).toHaveLength(20);
    expect(admitted.map((r) => r.headers.ratelimit).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => expect.stringMatching(new RegExp(`^"hourly";r=${i};t=\\d+$`))),
    );
    const first = rejected[0]!;
    expect(Number(first.headers["retry-after"])).toBeGreaterThan(0);
    expect(first.headers["ratelimit-policy"]).toBe('"hourly";q=10;w=3600');
    expect(first.headers.ratelimit).toMatch(/^"hourly";r=0;t=\d+$/);
    expect(first.json()).toEqual({ code: "RATE_LIMITED", message: 'rate limit "hourly" exceeded', status: 429, requestId: first.headers["x-request-id"] });
    expect((await rawRequest(gateway.url("/"), { headers: { "x-client": "c2" } })).status).toBe(200);
  });

  it("chooses the tier from metadata set by an earlier policy", async () => {
    const tiers = `{ tier: metadata.last, defaultTier: free, tiers: { free: [ { name: daily, requests: 1, window: 1d } ], premium: [ { name: daily, requests: 3, window: 1d } ] } }`;
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: premium
        match: { path: { prefix: /premium } }${limited(tiers, "\n            - { plugin: tag, with: { label: premium } }")}
      - name: free${limited(tiers, "\n            - { plugin: tag, with: { label: somebody } }")}`)}`,
    );
    const premium = [];
    for (let i = 0; i < 4; i++) premium.push((await rawRequest(gateway.url("/premium"))).status);
    expect(premium).toEqual([200, 200, 200, 429]);
    const free = [];
    for (let i = 0; i < 2; i++) free.push((await rawRequest(gateway.url("/"))).status);
    expect(free).toEqual([200, 429]);
  });

  it("admits twice the limit around a fixed window's boundary; a token bucket admits only its burst plus the refill", async () => {
    const limit = (algorithm: string) => `{ key: 'request.headers["x-client"]', limits: [ { name: s, requests: 10, window: 1s, algorithm: ${algorithm} } ] }`;
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: bucket
        match: { path: { prefix: /bucket } }${limited(limit("token-bucket"))}
      - name: fixed${limited(limit("fixed"))}`)}`,
    );
    const batch = async (client: string) => {
      const send = (path: string) => rawRequest(gateway.url(path), { headers: { "x-client": client } });
      const responses = await Promise.all(Array.from({ length: 10 }, () => [send("/"), send("/bucket")]).flat());
      return { fixed: responses.filter((_, i) => i % 2 === 0), bucket: responses.filter((_, i) => i % 2 === 1) };
    };
    const sleepUntil = (epochMs: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));
    // 10 requests 300 ms before a second ends, 10 just after it: driven by the epoch-aligned clock the fixed window
    // uses. A run whose batches did not land on their side of the boundary (a slow machine) is tried again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const boundary = (Math.floor(Date.now() / 1000) + 2) * 1000;
      await sleepUntil(boundary - 300);
      const firstSent = Date.now();
      const before = await batch(`client-${attempt}`);
      const firstDone = Date.now();
      await sleepUntil(boundary + 20);
      const after = await batch(`client-${attempt}`);
      const lastDone = Date.now();
      if (firstDone >= boundary || lastDone >= boundary + 1000 || lastDone - firstSent >= 900) continue;
      const admitted = (responses: Array<{ status: number }>) => responses.filter((r) => r.status === 200).length;
      expect(admitted(before.fixed) + admitted(after.fixed)).toBe(20);
      expect(admitted(before.bucket)).toBe(10);
      // the burst went to the first batch: the second gets at most the refill over the time the decisions span (< 9)
      expect(admitted(after.bucket)).toBeLessThanOrEqual(Math.floor((10 * (lastDone - firstSent)) / 1000));
      const refused = after.bucket.find((r) => r.status === 429)!;
      expect(refused.headers["retry-after"]).toBe("1");
      return;
    }
    throw new Error("no attempt kept both batches on their side of a window boundary (machine too busy)");
  });

  it("refuses at load a configuration outside its schema, naming the line", async () => {
    const start = startTestGateway(
      `${plugins}${routesYaml(`
      - name: api${limited("{ limits: [ { name: s, requests: 0, window: 1s } ] }")}`)}`,
    );
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    await expect(start).rejects.toThrow(/test\.yaml:\d+:\d+ .*policies\.request\[0\]\.with/);
  });

  describe.skipIf(!hasRedisServer)("with the counters in Redis (real redis-server)", () => {
    it("limits through Redis, then fails open or closed as configured when Redis goes away", async () => {
      const redis = await startRedis();
      track(() => redis.stop()); // stop() again after the test stopped it returns at once
      const gateway = await startTestGateway(
        `${plugins}stores: { backend: redis, redis: { url: "${redis.url}", prefix: "rl-test:", timeoutMs: 200 } }\n${routesYaml(`
      - name: closed
        match: { path: { prefix: /closed } }${limited("{ limits: [ { name: minute, requests: 3, window: 1m } ], onStoreError: closed }")}
      - name: open${limited("{ limits: [ { name: minute, requests: 3, window: 1m } ] }")}`)}`,
      );
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await rawRequest(gateway.url("/"))).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect((await rawRequest(gateway.url("/closed"))).status).toBe(200);

      await redis.stop();
      const open = await rawRequest(gateway.url("/"));
      expect(open.status).toBe(200);
      expect(open.headers.ratelimit).toBeUndefined();
      const closed = await rawRequest(gateway.url("/closed"));
      expect(closed.status).toBe(503);
      expect(closed.json()).toMatchObject({ code: "PCS_ERR_POLICY_UNAVAILABLE", status: 503 });
    });
  });
});
