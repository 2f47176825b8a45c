import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway.js";
import { stopAll } from "../support/servers.js";
import { eventually, load, route, startFleetmate, tally } from "./support.js";

afterEach(stopAll);

const FAST_CHECKS = "healthCheck: { path: /health, intervalMs: 50, timeoutMs: 200, healthyThreshold: 1, unhealthyThreshold: 1 }";

describe("load balancing", () => {
  it("round-robin follows the weights exactly over a cycle", async () => {
    const [a, b, c] = await Promise.all([startFleetmate("a"), startFleetmate("b"), startFleetmate("c")]);
    const gateway = await startTestGateway(route(`targets: [{ url: "${a.url}", weight: 1 }, { url: "${b.url}", weight: 3 }, { url: "${c.url}", weight: 6 }]`));
    expect(tally(await load(gateway.url("/"), 100, 1))).toEqual({ a: 10, b: 30, c: 60 });
  });

  it("least-request sends new requests away from a target whose requests are stalled", async () => {
    const held: Array<() => void> = [];
    const slow = await startFleetmate("slow", (_req, res) => held.push(() => res.end("slow")));
    const fast = await startFleetmate("fast");
    const gateway = await startTestGateway(route(`targets: [{ url: "${slow.url}" }, { url: "${fast.url}" }]\nloadBalancing: { policy: least-request }`));
    const stalled = Promise.all([fetch(gateway.url("/")), fetch(gateway.url("/")), fetch(gateway.url("/"))].map((p) => p.then((r) => r.text())));
    await eventually(() => slow.hits + fast.hits >= 3 && held.length >= 1, 3_000);
    const results = tally(await load(gateway.url("/"), 40, 1));
    expect(results).toEqual({ fast: 40 });
    for (const release of held) release();
    await stalled;
    expect(slow.hits).toBeLessThanOrEqual(2);
  });

  it("consistent hashing keeps each key on one target, and moves only the keys of a target that goes away", async () => {
    const mates = await Promise.all(["a", "b", "c"].map((name) => startFleetmate(name)));
    const gateway = await startTestGateway(
      route(`
targets: [${mates.map((m) => `{ url: "${m.url}" }`).join(", ")}]
loadBalancing: { policy: consistent-hash, hashKey: "request.headers['x-user']" }
${FAST_CHECKS}
`),
    );
    const users = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    const placement = async () => {
      const placed: Record<string, string> = {};
      for (const user of users) {
        const seen = new Set<string>();
        for (let i = 0; i < 3; i++) seen.add(await (await fetch(gateway.url("/"), { headers: { "x-user": user } })).text());
        expect(seen.size).toBe(1);
        placed[user] = [...seen][0]!;
      }
      return placed;
    };
    const before = await placement();
    const spread = tally(Object.values(before).map((body) => ({ body })));
    for (const name of ["a", "b", "c"]) expect(spread[name]).toBeGreaterThanOrEqual(8); // no target starved
    mates[1]!.healthStatus = 503;
    expect(await eventually(() => gateway.logs.some((l) => l.healthy === false), 3_000)).toBe(true);
    const after = await placement();
    for (const user of users) {
      if (before[user] === "b") expect(after[user]).not.toBe("b");
      else expect(after[user]).toBe(before[user]);
    }
  });

  it("priority failover: the lower priority serves only while no target of the higher one is available", async () => {
    const [main1, main2, backup] = await Promise.all([startFleetmate("main1"), startFleetmate("main2"), startFleetmate("backup")]);
    const gateway = await startTestGateway(
      route(`
targets: [{ url: "${main1.url}" }, { url: "${main2.url}" }, { url: "${backup.url}", priority: 1 }]
${FAST_CHECKS}
`),
    );
    expect(tally(await load(gateway.url("/"), 10, 1))).toEqual({ main1: 5, main2: 5 });
    main1.healthStatus = 503;
    expect(await eventually(() => gateway.logs.filter((l) => l.healthy === false).length === 1, 3_000)).toBe(true);
    expect(tally(await load(gateway.url("/"), 10, 1))).toEqual({ main2: 10 });
    main2.healthStatus = 503;
    expect(await eventually(() => gateway.logs.filter((l) => l.healthy === false).length === 2, 3_000)).toBe(true);
    expect(tally(await load(gateway.url("/"), 10, 1))).toEqual({ backup: 10 });
    main1.healthStatus = 200;
    expect(await eventually(() => gateway.logs.some((l) => l.healthy === true), 3_000)).toBe(true);
    expect(tally(await load(gateway.url("/"), 10, 1))).toEqual({ main1: 10 });
  });
});
