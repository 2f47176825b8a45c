// Issue 6's acceptance test: two gateway processes share one Redis; a limit of 100 per second holds across
// both under more load than that; when Redis goes away, each route fails open or closed as configured and
// the gateways keep serving.
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { startCli, tempFile } from "../../../test/support/cli.js";
import { startUpstream, stopAll, track } from "../../../test/support/servers.js";
import { hasRedisServer, startRedis } from "../../../test/capabilities/support/redis-server.js";

afterEach(stopAll);

const wasm = fileURLToPath(new URL("../build/rate-limit.wasm", import.meta.url));
const LIMIT_PER_SECOND = 100;
const SECONDS = 10;
const OFFERED_PER_SECOND = 250;

/** One gateway: every client shares one budget (the key is a constant), counted in Redis. */
const gatewayYaml = (redisUrl: string, upstreamUrl: string) => `
plugins:
  rate-limit:
    path: ${wasm}
    capabilities: { counters: true, expression: true, crypto: true }
    limits: { timeoutMs: 2000 } # exact counts: a loaded test machine must not turn a call into a timeout
stores: { backend: redis, redis: { url: "${redisUrl}", prefix: "two-gateways:", timeoutMs: 200 } }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: closed
        match: { path: { prefix: /closed } }
        policies:
          request: [ { plugin: rate-limit, with: { key: '"everyone"', limits: [ { name: per-second, requests: ${LIMIT_PER_SECOND}, window: 1s } ], onStoreError: closed } } ]
        backend: { url: "${upstreamUrl}" }
      - name: shared
        policies:
          request: [ { plugin: rate-limit, with: &limits { key: '"everyone"', limits: [ { name: per-second, requests: ${LIMIT_PER_SECOND}, window: 1s } ] } } ]
          response: [ { plugin: rate-limit, with: *limits } ]
        backend: { url: "${upstreamUrl}" }
admin: { port: 0 }
logging: { format: json }
runtime: { workers: 1 }
`;

async function startGatewayProcess(yaml: string): Promise<Pool> {
  const cli = startCli(tempFile("gateway.yaml", yaml));
  const listening = await cli.waitForLine((line) => line.listener === "main");
  const pool = new Pool(String(listening.url).replace("0.0.0.0", "127.0.0.1"), { connections: 16 });
  track(() => pool.close());
  return pool;
}

async function get(pool: Pool, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const response = await pool.request({ path, method: "GET" });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

/**
 * Offers `perSecond` requests a second, alternating between the pools, from `start` until `end` (epoch ms),
 * and returns every status. Open loop (a request leaves on schedule whatever the previous answer), bounded
 * by the schedule's length.
 */
async function offerLoad(pools: Pool[], path: string, perSecond: number, start: number, end: number): Promise<number[]> {
  const intervalMs = 1000 / perSecond;
  const statuses: Array<Promise<number>> = [];
  await sleep(Math.max(0, start - Date.now()));
  for (let i = 0; start + i * intervalMs < end; i++) {
    const due = start + i * intervalMs;
    if (due > Date.now()) await sleep(due - Date.now());
    if (Date.now() >= end) break; // behind schedule: never send past the end
    statuses.push(
      get(pools[i % pools.length]!, path).then(
        (r) => r.status,
        () => 0,
      ),
    );
  }
  return Promise.all(statuses);
}

describe.skipIf(!hasRedisServer)("rate-limit across two gateway processes on one Redis (issue 6)", () => {
  it(`holds ${LIMIT_PER_SECOND}/s for ${SECONDS} s under ${OFFERED_PER_SECOND}/s across both, then fails open or closed when Redis dies`, async () => {
    const redis = await startRedis();
    track(() => redis.stop()); // stop() again after the test stopped it returns at once
    const upstream = await startUpstream((_req, res) => res.end("ok"));
    const pools = await Promise.all([1, 2].map(() => startGatewayProcess(gatewayYaml(redis.url, upstream.url))));
    for (const pool of pools) {
      const warm = await get(pool, "/warm-up"); // plugins loaded, Redis connected
      expect(warm.status).toBe(200);
      expect(warm.headers.ratelimit).toMatch(/^"per-second";r=\d+;t=1$/);
    }

    // Ten whole epoch-aligned windows: start just after a second begins, send nothing in the last 50 ms so no
    // request is still in flight when the eleventh window opens.
    const start = (Math.floor(Date.now() / 1000) + 2) * 1000 + 5;
    const end = start - 5 + SECONDS * 1000 - 50;
    const statuses = await offerLoad(pools, "/", OFFERED_PER_SECOND, start, end);
    const admitted = statuses.filter((s) => s === 200).length;
    const rejected = statuses.filter((s) => s === 429).length;
    process.stdout.write(`two gateways: offered ${statuses.length}, admitted ${admitted}, rejected ${rejected}\n`);
    expect(statuses.length).toBeGreaterThan(LIMIT_PER_SECOND * SECONDS * 1.5); // the load really exceeded the limit
    expect(admitted + rejected).toBe(statuses.length);
    expect(Math.abs(admitted - LIMIT_PER_SECOND * SECONDS)).toBeLessThanOrEqual(LIMIT_PER_SECOND * SECONDS * 0.05);

    // Redis dies while load continues: the open route admits (no rate fields), the closed one answers 503,
    // and neither gateway stops serving.
    const during = offerLoad(pools, "/", 50, Date.now(), Date.now() + 1_000);
    await sleep(300);
    await redis.stop();
    expect((await during).every((s) => s === 200 || s === 429)).toBe(true);
    for (const pool of pools) {
      const open = await get(pool, "/");
      expect(open.status).toBe(200);
      expect(open.headers.ratelimit).toBeUndefined();
      const closed = await get(pool, "/closed");
      expect(closed.status).toBe(503);
      expect(JSON.parse(closed.body)).toMatchObject({ code: "PCS_ERR_POLICY_UNAVAILABLE" });
    }
  }, 60_000);
});
