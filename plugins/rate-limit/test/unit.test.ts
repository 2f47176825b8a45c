import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fakeExpressions as fakeSdkExpressions, loadPolicy } from "@portcullis/sdk/testing";
import type { Capabilities } from "@portcullis/sdk/component";

const wasmPath = fileURLToPath(new URL("../build/rate-limit.wasm", import.meta.url));

/** The SDK's expression fake (it reads `values` at evaluation, so tests may change them); "bad((" does not compile. */
const fakeExpressions = (values: Record<string, string>) => fakeSdkExpressions(values, (source) => source === "bad((");

async function policy(config: unknown, values: Record<string, string> = { "request.clientAddress": '"10.0.0.1"' }, extra: Partial<Capabilities> = {}) {
  return loadPolicy(wasmPath, { config, capabilities: { expression: fakeExpressions(values), ...extra } });
}

type Outcome = {
  tag: string;
  val: {
    tag: string;
    val: {
      status?: number;
      headers: Array<{ name?: string; value?: string; tag?: string; val?: unknown }>;
      body?: Uint8Array;
      metadata: Array<{ tag: string; val: { key: string; value: string } }>;
    };
  };
};

function responseHeader(outcome: Outcome, name: string): string | undefined {
  return (outcome.val.val.headers as Array<{ name: string; value: string }>).find((h) => h.name === name)?.value;
}

describe("rate-limit (unit)", () => {
  it("admits up to the limit, then answers 429 RATE_LIMITED with Retry-After and the IETF fields; a new window starts at zero", async () => {
    const p = await policy({ limits: [{ name: "per-minute", requests: 3, window: "1m" }] });
    p.fakes.clock.nowMs = 1_699_999_990_000n; // 10 s into a minute window (epoch-aligned)
    for (let i = 0; i < 3; i++) expect(p.onRequest()).toMatchObject({ tag: "ok", val: { tag: "continue" } });
    const rejected = p.onRequest() as unknown as Outcome;
    expect(rejected).toMatchObject({ tag: "ok", val: { tag: "respond", val: { status: 429 } } });
    expect(JSON.parse(Buffer.from(rejected.val.val.body!).toString())).toEqual({
      code: "RATE_LIMITED",
      message: 'rate limit "per-minute" exceeded',
      limit: "per-minute",
      retryAfter: 50,
    });
    expect(responseHeader(rejected, "retry-after")).toBe("50");
    expect(responseHeader(rejected, "ratelimit-policy")).toBe('"per-minute";q=3;w=60');
    expect(responseHeader(rejected, "ratelimit")).toBe('"per-minute";r=0;t=50');
    p.fakes.clock.advance(50_000);
    expect(p.onRequest()).toMatchObject({ tag: "ok", val: { tag: "continue" } });
  });

  it("counts per key: another client address has its own counter, and the store never sees the raw key", async () => {
    const values: Record<string, string> = { 'request.headers["x-api-key"]': '"secret-key-1"' };
    const p = await policy({ key: 'request.headers["x-api-key"]', limits: [{ name: "burst", requests: 1, window: "1s" }] }, values);
    expect(p.onRequest()).toMatchObject({ val: { tag: "continue" } });
    expect(p.onRequest()).toMatchObject({ val: { tag: "respond", val: { status: 429 } } });
    values['request.headers["x-api-key"]'] = '"secret-key-2"';
    expect(p.onRequest()).toMatchObject({ val: { tag: "continue" } });
    delete values['request.headers["x-api-key"]']; // missing key: falls back to the client address
    expect(p.onRequest({ clientAddress: "10.9.9.9" })).toMatchObject({ val: { tag: "continue" } });
    expect(p.onRequest({ clientAddress: "10.9.9.9" })).toMatchObject({ val: { tag: "respond" } });
    const keys = [...p.fakes.counters.keys()].join("|");
    expect(keys).not.toContain("secret");
    expect(keys).not.toContain("10.9.9.9");
    expect(p.fakes.counters.size).toBe(3);
  });

  it("applies several limits, reports the tightest, and stops counting at the first exceeded one", async () => {
    const p = await policy({
      limits: [
        { name: "per-second", requests: 2, window: "1s" },
        { name: "per-day", requests: 5, window: "1d" },
      ],
      headers: "x-ratelimit",
    });
    const first = p.onRequest() as unknown as Outcome;
    const state = JSON.parse(first.val.val.metadata.find((m) => m.val.key === "rateLimit")!.val.value);
    expect(state).toMatchObject({ tier: null, limit: "per-second", remaining: 1, headers: { "x-ratelimit-limit": "2", "x-ratelimit-remaining": "1" } });
    p.onRequest();
    const third = p.onRequest() as unknown as Outcome;
    expect(third.val.val.status).toBe(429);
    expect(responseHeader(third, "x-ratelimit-remaining")).toBe("0");
    const perDay = [...p.fakes.counters.entries()].find(([key]) => key.includes(":per-day:"))![1];
    expect(perDay.value).toBe(2n); // the rejected request did not count against the day
    p.fakes.clock.advance(1000);
    p.onRequest();
    p.onRequest();
    p.fakes.clock.advance(1000);
    expect(p.onRequest()).toMatchObject({ val: { tag: "continue" } }); // the fifth admitted: the day is used up
    const over = p.onRequest() as unknown as Outcome;
    expect(over.val.val.status).toBe(429);
    expect(JSON.parse(Buffer.from(over.val.val.body!).toString())).toMatchObject({ limit: "per-day" });
  });

  it("chooses limits by tier from metadata, with the default tier for unknown or missing tiers", async () => {
    const values: Record<string, string> = { "request.clientAddress": '"10.0.0.1"', "metadata.plan": '"premium"' };
    const config = {
      tier: "metadata.plan",
      defaultTier: "free",
      tiers: { free: [{ name: "daily", requests: 1, window: "1d" }], premium: [{ name: "daily", requests: 3, window: "1d" }] },
    };
    const p = await policy(config, values);
    for (let i = 0; i < 3; i++) expect(p.onRequest()).toMatchObject({ val: { tag: "continue" } });
    expect(p.onRequest()).toMatchObject({ val: { tag: "respond" } });
    const free = await policy(config, { "request.clientAddress": '"10.0.0.2"', "metadata.plan": '"gold"' });
    const admitted = free.onRequest() as unknown as Outcome;
    expect(JSON.parse(admitted.val.val.metadata[0]!.val.value)).toMatchObject({ tier: "free", limit: "daily", remaining: 0 });
    expect(free.onRequest()).toMatchObject({ val: { tag: "respond" } });
  });

  it("fails open by default and closed (503 unavailable) when configured, when the store is down", async () => {
    const unavailable = () => ({ tag: "err", val: { tag: "unavailable", val: "redis down" } }) as const;
    const down: Partial<Capabilities> = { counters: { increment: unavailable, get: unavailable, take: unavailable } };
    for (const algorithm of ["fixed", "token-bucket"]) {
      const limits = [{ name: "s", requests: 1, window: "1s", algorithm }];
      const open = await policy({ limits }, undefined, down);
      expect(open.onRequest()).toEqual({ tag: "ok", val: { tag: "continue", val: expect.objectContaining({ metadata: [], headers: [] }) } });
      const closed = await policy({ limits, onStoreError: "closed" }, undefined, down);
      expect(closed.onRequest()).toMatchObject({ tag: "err", val: { tag: "unavailable" } });
    }
  });

  it("token bucket: spends the burst, refills evenly, and answers 429 with Retry-After until the next token", async () => {
    const p = await policy({ limits: [{ name: "smooth", requests: 10, window: "1s", algorithm: "token-bucket", burst: 5 }], headers: "x-ratelimit" });
    const remaining = [];
    for (let i = 0; i < 5; i++) {
      const admitted = p.onRequest() as unknown as Outcome;
      remaining.push(JSON.parse(admitted.val.val.metadata[0]!.val.value).headers["x-ratelimit-remaining"]);
    }
    expect(remaining).toEqual(["4", "3", "2", "1", "0"]);
    const rejected = p.onRequest() as unknown as Outcome;
    expect(rejected.val.val.status).toBe(429);
    expect(responseHeader(rejected, "retry-after")).toBe("1"); // 100 ms to the next token, in whole seconds
    expect(responseHeader(rejected, "x-ratelimit-limit")).toBe("5");
    expect(JSON.parse(Buffer.from(rejected.val.val.body!).toString())).toMatchObject({ code: "RATE_LIMITED", limit: "smooth", retryAfter: 1 });
    p.fakes.clock.advance(100);
    expect(p.onRequest()).toMatchObject({ val: { tag: "continue" } });
    expect(p.onRequest()).toMatchObject({ val: { tag: "respond", val: { status: 429 } } });
    p.fakes.clock.advance(60_000); // idle: back to the burst, not beyond
    let admitted = 0;
    while ((p.onRequest() as unknown as Outcome).val.tag === "continue" && admitted < 100) admitted++;
    expect(admitted).toBe(5);
  });

  it("lets twice the limit through around a fixed window's boundary, and only the burst through a token bucket", async () => {
    const admittedAroundBoundary = async (algorithm: string) => {
      const p = await policy({ limits: [{ name: "s", requests: 5, window: "1s", algorithm }] });
      p.fakes.clock.nowMs = 1_700_000_000_999n; // 1 ms before a second ends
      let admitted = 0;
      for (let i = 0; i < 10; i++) {
        if (i === 5) p.fakes.clock.advance(1); // the next second starts
        if ((p.onRequest() as unknown as Outcome).val.tag === "continue") admitted++;
      }
      return admitted;
    };
    expect(await admittedAroundBoundary("fixed")).toBe(10);
    expect(await admittedAroundBoundary("token-bucket")).toBe(5);
  });

  it("copies the computed fields onto the response in the response flow", async () => {
    const p = await policy({ limits: [{ name: "s", requests: 5, window: "1s" }] });
    const metadata = { rateLimit: { headers: { ratelimit: '"s";r=4;t=1', "ratelimit-policy": '"s";q=5;w=1' } } };
    expect(p.onResponse({ metadata })).toMatchObject({
      val: {
        tag: "continue",
        val: {
          headers: [
            { tag: "set", val: { name: "ratelimit", value: '"s";r=4;t=1' } },
            { tag: "set", val: { name: "ratelimit-policy" } },
          ],
        },
      },
    });
    expect(p.onResponse({})).toMatchObject({ val: { tag: "continue", val: { headers: [] } } });
  });

  it("refuses bad configurations at init, naming the field", async () => {
    const p = await policy({ limits: [{ name: "a", requests: 1, window: "1s" }] });
    const cases: Array<[unknown, string]> = [
      [{ limits: [] }, "/limits"],
      [
        {
          limits: [
            { name: "a", requests: 1, window: "1s" },
            { name: "a", requests: 2, window: "1m" },
          ],
        },
        "/limits/1/name",
      ],
      [{ limits: [{ name: "a", requests: 0, window: "1s" }] }, "/limits/0/requests"],
      [{ limits: [{ name: "a", requests: 1, window: "1w" }] }, "/limits/0/window"],
      [{ limits: [{ name: "a", requests: 1, window: "99999d" }] }, "/limits/0/window"],
      [{ limits: [{ name: "A B", requests: 1, window: "1s" }] }, "/limits/0/name"],
      [{ limits: [{ name: "a", requests: 1, window: "1s", algorithm: "sliding" }] }, "/limits/0/algorithm"],
      [{ limits: [{ name: "a", requests: 1, window: "1s", burst: 5 }] }, "/limits/0/burst"],
      [{ limits: [{ name: "a", requests: 1, window: "1s", algorithm: "token-bucket", burst: 0 }] }, "/limits/0/burst"],
      [{ key: "bad((", limits: [{ name: "a", requests: 1, window: "1s" }] }, "/key"],
      [{ tier: "metadata.plan", defaultTier: "gold", tiers: { free: [{ name: "a", requests: 1, window: "1s" }] } }, "/defaultTier"],
    ];
    for (const [config, path] of cases) {
      expect(p.init(config), JSON.stringify(config)).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    }
  });
});
