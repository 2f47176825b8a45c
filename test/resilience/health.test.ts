import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { answerName, answerStatus, eventually, load, route, sleep, startFleetmate, tally } from "./support.js";

afterEach(stopAll);

const FAST_CHECKS = "healthCheck: { path: /health, intervalMs: 50, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2 }";

describe("active health checks", () => {
  it("take a target failing its checks out of rotation and bring it back when they pass", async () => {
    const [a, b] = await Promise.all([startFleetmate("a"), startFleetmate("b")]);
    const gateway = await startTestGateway(route(`targets: [{ url: "${a.url}" }, { url: "${b.url}" }]\n${FAST_CHECKS}`));
    expect(tally(await load(gateway.url("/"), 10, 1))).toEqual({ a: 5, b: 5 });

    b.healthStatus = 503;
    expect(await eventually(() => gateway.logs.some((l) => l.msg === "upstream target health changed" && l.healthy === false), 3_000)).toBe(true);
    expect(tally(await load(gateway.url("/"), 10, 1))).toEqual({ a: 10 });

    b.healthStatus = 200;
    expect(await eventually(() => gateway.logs.some((l) => l.msg === "upstream target health changed" && l.healthy === true), 3_000)).toBe(true);
    expect(tally(await load(gateway.url("/"), 10, 1))).toEqual({ a: 5, b: 5 });
    expect(b.checks).toBeGreaterThanOrEqual(6); // 2 passes, 2 failures, 2 passes at least
  });

  it("a killed target is marked down by its checks and comes back when restarted on its port", async () => {
    const [a, b] = await Promise.all([startFleetmate("a"), startFleetmate("b")]);
    const gateway = await startTestGateway(route(`targets: [{ url: "${a.url}" }, { url: "${b.url}" }]\n${FAST_CHECKS}`));
    await b.kill();
    expect(await eventually(() => gateway.logs.some((l) => l.healthy === false && l.target === b.url), 3_000)).toBe(true);
    const down = await load(gateway.url("/"), 10, 2);
    expect(down.every((r) => r.status === 200 && r.body === "a")).toBe(true);
    await b.restart();
    expect(await eventually(() => gateway.logs.some((l) => l.healthy === true && l.target === b.url), 3_000)).toBe(true);
    expect(tally(await load(gateway.url("/"), 10, 1)).b).toBe(5);
  });
});

describe("fallback when no target is healthy", () => {
  it("answers 503 PCS_ERR_NO_HEALTHY_UPSTREAM with Retry-After at once, without calling the upstream", async () => {
    const a = await startFleetmate("a");
    a.healthStatus = 500;
    const gateway = await startTestGateway(route(`url: "${a.url}"\n${FAST_CHECKS}`));
    expect(await eventually(() => gateway.logs.some((l) => l.healthy === false), 3_000)).toBe(true);
    const response = await rawRequest(gateway.url("/"));
    expect(response.status).toBe(503);
    expect(response.json().code).toBe("PCS_ERR_NO_HEALTHY_UPSTREAM");
    expect(response.headers["retry-after"]).toBe("5");
    expect(a.hits).toBe(0);
  });

  it("answers the fallback direct response, or sends to the fallback backend", async () => {
    const a = await startFleetmate("a");
    const spare = await startFleetmate("spare");
    a.healthStatus = 500;
    const gateway = await startTestGateway(
      routesYaml(`
      - name: direct
        match: { path: { prefix: /direct } }
        backend:
          url: "${a.url}"
          ${FAST_CHECKS}
          fallback: { directResponse: { status: 200, headers: { x-fallback: "yes" }, body: "degraded" } }
      - name: other
        match: { path: { prefix: /other } }
        backend:
          url: "${a.url}"
          ${FAST_CHECKS}
          fallback: { backend: { url: "${spare.url}" } }
`),
    );
    expect(await eventually(() => gateway.logs.filter((l) => l.healthy === false).length === 2, 3_000)).toBe(true);
    const direct = await rawRequest(gateway.url("/direct"));
    expect([direct.status, direct.headers["x-fallback"], direct.body.toString()]).toEqual([200, "yes", "degraded"]);
    const other = await rawRequest(gateway.url("/other"));
    expect([other.status, other.body.toString()]).toEqual([200, "spare"]);
    expect([a.hits, spare.hits]).toEqual([0, 1]);
  });
});

describe("outlier ejection", () => {
  it("ejects for a growing time, and never more than maxEjectedShare of the targets", async () => {
    const [a, b, c] = await Promise.all([startFleetmate("a", answerStatus(500)), startFleetmate("b", answerStatus(500)), startFleetmate("c")]);
    const gateway = await startTestGateway(
      route(`
targets: [{ url: "${a.url}" }, { url: "${b.url}" }, { url: "${c.url}" }]
retries: { attempts: 0 }
outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 2000, maxEjectionMs: 10000, maxEjectedShare: 0.34 }
`),
    );
    await load(gateway.url("/"), 15, 1);
    const ejections = () => gateway.logs.filter((l) => l.msg === "upstream target ejected");
    // 3 x 0.34 rounds down to 1: only one of the two failing targets is ejected at a time.
    expect(ejections().map((l) => l.forMs)).toEqual([2000]);
    const first = ejections()[0]!.target as string;
    const otherMate = first === a.url ? b : a;
    // While ejected, the other failing target keeps getting traffic but cannot be ejected too.
    expect(otherMate.hits).toBeGreaterThanOrEqual(4);
    otherMate.handler = answerName(otherMate.name);
    await sleep(2_050); // the first ejection ends
    await load(gateway.url("/"), 15, 1);
    const times = ejections()
      .filter((l) => l.target === first)
      .map((l) => l.forMs);
    expect(times).toEqual([2000, 4000]); // the second ejection of the same target lasts longer
  });
});
