import type { IncomingMessage, ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { compilePolicy, instantiatePolicy } from "@portcullis/sdk/component";
import { startTestGateway, routesYaml, type TestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll, type RawResponse } from "../support/servers.js";
import { plugin } from "./support/policies.js";

// Call-outs (http.dispatch): a flow waiting for its policy's calls leaves the worker to other flows.
// One worker, so a blocking call would hold every other flow behind it.

afterEach(stopAll);

/** A component built against portcullis:policy@0.1.0 (the headers plugin before 0.1.1): no on-call-result. */
const OLD_WORLD = fileURLToPath(new URL("./old-world/headers-0.1.0.wasm", import.meta.url));

/** /slow answers after 200 ms, /hang never, /again says "again" to n=0 and "done" otherwise. */
async function service() {
  return startUpstream((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://service");
    if (url.pathname === "/slow") setTimeout(() => res.end("ok"), 200);
    else if (url.pathname === "/again") res.end(url.searchParams.get("n") === "0" ? "again" : "done");
    else if (url.pathname !== "/hang") res.writeHead(404).end();
  });
}

const callOut = (name: string, url: string, extra = "") =>
  `      - name: ${name}\n        match: { path: { prefix: /${name} } }\n        policies: { request: [ { plugin: call-out, with: { url: "${url}"${extra} } } ] }\n        backend: { echo: true }`;

async function gateway(serviceUrl: string, channel = "piscina", budgetMs = 100): Promise<TestGateway> {
  const routes = [
    callOut("slow", `${serviceUrl}/slow`),
    callOut("timeout", `${serviceUrl}/hang`, ", timeoutMs: 300"),
    callOut("rounds", `${serviceUrl}/again`, ", calls: 2"),
    callOut("too-many", `${serviceUrl}/again`, ", calls: 9"),
    `      - name: fast\n        match: { path: { prefix: /fast } }\n        policies: { request: [ { plugin: tag, with: { label: fast } } ] }\n        backend: { echo: true }`,
    `      - name: old\n        match: { path: { prefix: /old } }\n        policies: { request: [ { plugin: old-headers, with: { set: { x-old-world: "0.1.0" } } } ] }\n        backend: { echo: true }`,
  ];
  // The policy's budget (100 ms) is shorter than the calls: waiting is not charged to it.
  const grant = `    capabilities: { http: { allow: ["${new URL(serviceUrl).host}"] } }\n    limits: { timeoutMs: ${budgetMs} }\n`;
  return startTestGateway(`
plugins:
${plugin("call-out", grant)}
${plugin("tag")}
  old-headers:
    path: ${OLD_WORLD}
    capabilities: { expression: true }
runtime: { workers: 1, channel: ${channel} }
${routesYaml(routes.join("\n"))}
`);
}

/** Closed-loop clients sending `send` until `until` (epoch ms); counts answers by status. */
async function load(clients: number, until: () => boolean, send: () => Promise<RawResponse>): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!until()) {
        const { status } = await send();
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
    }),
  );
  return counts;
}

const within = (ms: number) => {
  const end = Date.now() + ms;
  return () => Date.now() >= end;
};
const headersOf = (response: RawResponse) => response.json<{ headers: Record<string, string> }>().headers;

describe.each(["piscina", "direct"])("call-outs (http.dispatch), %s channel", (channel) => {
  it("keep a second route's throughput while 16 flows wait 200 ms on a slow service, on one worker", async () => {
    const slowService = await service();
    const gw = await gateway(slowService.url, channel);
    const fast = () => rawRequest(gw.url("/fast"));
    const slow = () => rawRequest(gw.url("/slow"));
    expect((await slow()).status).toBe(200); // warm
    const alone = await load(4, within(1_000), fast);
    let stopSlow = false;
    const slowLoad = load(16, () => stopSlow, slow);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the slow flows are in flight
    const beside = await load(4, within(1_000), fast);
    stopSlow = true;
    const slowCounts = await slowLoad;
    const baseline = alone.get(200) ?? 0;
    expect(baseline).toBeGreaterThan(10);
    expect(alone.size).toBe(1);
    expect(beside.size).toBe(1); // only 200s
    // Generous (the machine may be busy): a worker held by each 200 ms call would serve a few fast
    // flows per slow one at most, under 5% of the baseline.
    expect(beside.get(200) ?? 0).toBeGreaterThanOrEqual(Math.floor(baseline * 0.25));
    // 1.3 s of 16 clients at 200 ms: dozens, which one worker could never do waiting for each in turn (6).
    expect(slowCounts.get(200) ?? 0).toBeGreaterThanOrEqual(32);
    expect([...slowCounts.keys()]).toEqual([200]);
  });

  it("hand the policy a timeout error when the service does not answer within the call's timeout, without a worker replaced", async () => {
    const hanging = await service();
    const gw = await gateway(hanging.url, channel);
    const answer = await rawRequest(gw.url("/timeout"));
    expect(answer.status).toBe(502); // the policy's own answer to the `timeout` variant
    expect(answer.json()).toEqual({ error: "timeout" });
    const after = await rawRequest(gw.url("/fast"));
    expect(headersOf(after)["x-order"]).toBe("fast");
  });

  it("answer each call in order, round after round while the policy dispatches more, and refuse past 8 calls", async () => {
    const again = await service();
    const gw = await gateway(again.url, channel);
    const rounds = await rawRequest(gw.url("/rounds"));
    expect(rounds.status).toBe(200);
    expect(headersOf(rounds)["x-call"]).toBe("200, 200, 200"); // n=0, n=1, then the call n=0's answer asked for
    const tooMany = await rawRequest(gw.url("/too-many"));
    expect(tooMany.status).toBe(500);
    expect(tooMany.json()).toEqual({ refused: "invalid-request" });
  });
});

describe("call-outs across world versions", () => {
  it("leave a component built against 0.1.0 loading and running beside a 0.1.1 one", async () => {
    const compiled = await compilePolicy(readFileSync(OLD_WORLD));
    expect(instantiatePolicy(compiled, {}).onCallResult).toBeUndefined();
    const again = await service();
    const gw = await gateway(again.url);
    const [old, rounds] = await Promise.all([rawRequest(gw.url("/old")), rawRequest(gw.url("/rounds"))]);
    expect(headersOf(old)["x-old-world"]).toBe("0.1.0");
    expect(headersOf(rounds)["x-call"]).toBe("200, 200, 200");
  });
});
