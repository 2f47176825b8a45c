import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { answerName, answerStatus, chunks, eventually, load, recordingFaults, route, sleep, startFleetmate, tally } from "./support.js";

afterEach(stopAll);

describe("retries", () => {
  it("three targets, one killed mid-load: every request answered, the dead target ejected", async () => {
    const [a, b, c] = await Promise.all([startFleetmate("a"), startFleetmate("b"), startFleetmate("c")]);
    const gateway = await startTestGateway(
      route(`
targets: [{ url: "${a.url}" }, { url: "${b.url}" }, { url: "${c.url}" }]
outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 60000 }
`),
    );
    const first = load(gateway.url("/x"), 300, 6);
    await eventually(() => b.hits >= 20, 5_000);
    await b.kill();
    const results = [...(await first), ...(await load(gateway.url("/x"), 60, 6))];
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const ejected = gateway.logs.filter((l) => l.msg === "upstream target ejected");
    expect(ejected.map((l) => l.target)).toEqual([b.url]);
    expect(ejected[0]!.forMs).toBe(60_000);
    // Each failed try on b was retried once; b was ejected within the threshold (3), give or take the
    // tries already in flight (6 clients) when it died.
    const retried = gateway.logs.filter((l) => l.msg === "request").reduce((sum, l) => sum + ((l.tries as number) ?? 1) - 1, 0);
    expect(retried).toBeGreaterThanOrEqual(1);
    expect(retried).toBeLessThanOrEqual(3 + 6);
    // After the ejection, only a and c answer.
    const after = tally(await load(gateway.url("/x"), 30, 3));
    expect(after.b).toBeUndefined();
    expect((after.a ?? 0) + (after.c ?? 0)).toBe(30);
  });

  it("a target answering 503 is retried elsewhere, and ejected after consecutiveFailures tries", async () => {
    const [a, b] = await Promise.all([startFleetmate("a"), startFleetmate("b")]);
    const gateway = await startTestGateway(
      route(`
targets: [{ url: "${a.url}" }, { url: "${b.url}" }]
outlierDetection: { consecutiveFailures: 4, baseEjectionMs: 60000 }
`),
    );
    expect(tally(await load(gateway.url("/"), 10, 1))).toEqual({ a: 5, b: 5 });
    b.handler = answerStatus(503);
    const hitsBefore = b.hits;
    const results = await load(gateway.url("/"), 40, 2);
    expect(results.every((r) => r.status === 200 && r.body === "a")).toBe(true);
    expect(b.hits - hitsBefore).toBe(4); // the threshold, then never again while ejected
  });

  it("never retries a POST by default; retries a GET up to attempts; retries a POST when its method is listed", async () => {
    const bodies: string[] = [];
    const failing = await startFleetmate("f", (req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        bodies.push(body);
        answerStatus(503)(req, res);
      });
    });
    const gateway = await startTestGateway(
      routesYaml(`
      - name: default
        match: { path: { prefix: /default } }
        backend: { url: "${failing.url}", retries: { backoff: { baseMs: 1, maxMs: 2 } } }
      - name: posts
        match: { path: { prefix: /posts } }
        backend: { url: "${failing.url}", retries: { methods: [POST], attempts: 3, backoff: { baseMs: 1, maxMs: 2 } } }
`),
    );
    expect((await rawRequest(gateway.url("/default"), { method: "POST", body: "x" })).status).toBe(503);
    expect(failing.hits).toBe(1);
    expect((await rawRequest(gateway.url("/default"), { method: "POST" })).status).toBe(503);
    expect(failing.hits).toBe(2);
    expect((await rawRequest(gateway.url("/default"))).status).toBe(503);
    expect(failing.hits).toBe(2 + 3); // 1 + attempts (2)
    expect((await rawRequest(gateway.url("/posts"), { method: "POST" })).status).toBe(503);
    expect(failing.hits).toBe(5 + 4);
    // A small declared body is read first, and every try sends it whole.
    bodies.length = 0;
    expect((await rawRequest(gateway.url("/posts"), { method: "POST", body: "payload" })).status).toBe(503);
    expect(failing.hits).toBe(9 + 4);
    expect(bodies).toEqual(["payload", "payload", "payload", "payload"]);
    // A chunked body, or one over retries.bufferBytes, is streamed: it cannot be replayed, so it is not retried.
    expect((await rawRequest(gateway.url("/posts"), { method: "POST", body: chunks("a", "b") })).status).toBe(503);
    expect(failing.hits).toBe(13 + 1);
    expect((await rawRequest(gateway.url("/posts"), { method: "POST", body: "x".repeat(70_000) })).status).toBe(503);
    expect(failing.hits).toBe(14 + 1);
  });

  it("a 100%-failing backend sees no more than (1 + budget ratio) x the offered load", async () => {
    const failing = await startFleetmate("f", answerStatus(503));
    const gateway = await startTestGateway(
      route(`
url: "${failing.url}"
retries: { attempts: 3, backoff: { baseMs: 1, maxMs: 2 }, budget: { ratio: 0.2, minRetries: 0 } }
`),
    );
    const results = await load(gateway.url("/"), 200, 20);
    expect(results.length).toBe(200);
    expect(results.every((r) => r.status === 503)).toBe(true);
    expect(failing.hits).toBeLessThanOrEqual(200 * 1.2);
    // The budget is used, not just refused: about one request in five is retrying at any time (20 in flight).
    expect(failing.hits).toBeGreaterThanOrEqual(200 * 1.05);
  });

  it("the budget counts requests in flight: after 100 good requests, a burst of 20 failing ones gets at most 20% of them retried", async () => {
    let down = false;
    // Failing answers come after 300 ms, so the burst's 20 first tries are all in flight when the first fails.
    const upstream = await startFleetmate("u", (_req, res) => {
      if (!down) return void res.end("ok");
      setTimeout(() => {
        res.statusCode = 503;
        res.end("down");
      }, 300);
    });
    const gateway = await startTestGateway(
      route(`
url: "${upstream.url}"
retries: { attempts: 2, backoff: { baseMs: 1, maxMs: 2 }, budget: { ratio: 0.2, minRetries: 0 } }
`),
    );
    expect((await load(gateway.url("/"), 100, 5)).every((r) => r.status === 200)).toBe(true);
    down = true;
    const before = upstream.hits;
    const burst = await load(gateway.url("/"), 20, 20);
    expect(burst.map((r) => r.status)).toEqual(new Array(20).fill(503));
    const retried = gateway.logs.filter((l) => l.msg === "request" && l.status === 503 && (l.tries as number) > 1);
    // A budget over the last seconds' requests (120) would have let all 20 retry; in flight, 0.2 x 20 = 4 may.
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.length).toBeLessThanOrEqual(4);
    expect(upstream.hits - before).toBe(20 + retried.reduce((sum, l) => sum + (l.tries as number) - 1, 0));
  });

  it("the minimum allowance retries light traffic: one request in flight is retried with the default budget", async () => {
    const [failing, good] = await Promise.all([startFleetmate("failing", answerStatus(503)), startFleetmate("good")]);
    const gateway = await startTestGateway(
      route(`targets: [{ url: "${failing.url}" }, { url: "${good.url}" }]
retries: { budget: { ratio: 0.2 } }`),
    );
    const answers = await load(gateway.url("/"), 6, 1);
    // Alone in flight, 0.2 x 1 allows no retry; minRetries (3) does: every request reaches the good target.
    expect(answers.map((r) => r.body)).toEqual(new Array(6).fill("good"));
    expect(failing.hits).toBeGreaterThan(0);
  });

  it("a per-try timeout moves a stalled try to another target, inside the total timeout", async () => {
    const stalled = await startFleetmate("stalled", () => undefined);
    const fast = await startFleetmate("fast", answerName("fast"));
    const gateway = await startTestGateway(
      route(`
targets: [{ url: "${stalled.url}" }, { url: "${fast.url}" }]
retries: { on: [timeout], perTryTimeoutMs: 400 }
timeouts: { totalMs: 5000 }
`),
    );
    const results = await load(gateway.url("/"), 6, 1);
    expect(results).toEqual(Array.from({ length: 6 }, () => ({ status: 200, body: "fast" })));
    expect(stalled.hits).toBeGreaterThanOrEqual(1);
    expect(stalled.hits).toBeLessThanOrEqual(5); // ejected after 5 timeouts in a row
  });

  it("the total timeout bounds every try: 504, with no try started after it", async () => {
    const a = await startFleetmate("a", () => undefined);
    const b = await startFleetmate("b", () => undefined);
    const gateway = await startTestGateway(
      route(`
targets: [{ url: "${a.url}" }, { url: "${b.url}" }]
retries: { on: [timeout], perTryTimeoutMs: 150, attempts: 10, backoff: { baseMs: 1, maxMs: 1 } }
timeouts: { totalMs: 400 }
`),
    );
    const response = await rawRequest(gateway.url("/"));
    expect(response.status).toBe(504);
    expect(response.json().code).toBe("PCS_ERR_UPSTREAM_TIMEOUT");
    await sleep(300);
    expect(a.hits + b.hits).toBeGreaterThanOrEqual(2);
    expect(a.hits + b.hits).toBeLessThanOrEqual(3);
  });

  it("never retries once response bytes reached the client", async () => {
    const broken = await startFleetmate("broken", (_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("partial");
      setTimeout(() => res.socket?.destroy(), 30);
    });
    const gateway = await startTestGateway(route(`url: "${broken.url}"`));
    await expect(rawRequest(gateway.url("/"))).rejects.toThrow();
    await sleep(100);
    expect(broken.hits).toBe(1);
  });

  it("the fault flow sees only the final outcome, once per request", async () => {
    const failing = await startFleetmate("f", (req) => req.socket.destroy());
    const flows = recordingFaults();
    const gateway = await startTestGateway(route(`url: "${failing.url}"\nretries: { backoff: { baseMs: 1, maxMs: 2 } }`), { flows });
    const responses = await Promise.all([rawRequest(gateway.url("/")), rawRequest(gateway.url("/"))]);
    expect(responses.map((r) => r.status)).toEqual([502, 502]);
    expect(failing.hits).toBe(6); // 3 tries each
    expect(flows.faults.map((f) => f.code)).toEqual(["PCS_ERR_UPSTREAM_RESET", "PCS_ERR_UPSTREAM_RESET"]);
    expect(new Set(flows.faults.map((f) => f.requestId)).size).toBe(2);
    expect(gateway.logs.filter((l) => l.msg === "request").map((l) => [l.status, l.tries])).toEqual([
      [502, 3],
      [502, 3],
    ]);
  });
});
