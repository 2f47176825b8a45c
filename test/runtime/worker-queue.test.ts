import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { BAD_AND_OK_ROUTES, plugin } from "./support/policies.js";

afterEach(stopAll);

/**
 * Flows queue at the workers (runtime.tasksPerWorker). One worker here, so every flow queues
 * behind whatever that worker runs: /bad runs `misbehave` (its mode from a header), /ok a healthy policy.
 */
function config(runtime: string, timeoutMs = 300) {
  return `
plugins:
${plugin("misbehave", `    limits: { timeoutMs: ${timeoutMs} }\n`)}
${plugin("tag")}
runtime: { workers: 1, tasksPerWorker: 4${runtime} }
${BAD_AND_OK_ROUTES}
`;
}

const loop = (gateway: TestGateway) => rawRequest(gateway.url("/bad"), { headers: { "x-misbehave": "loop" } });
const healthy = (gateway: TestGateway) => rawRequest(gateway.url("/ok"));

describe.each(["direct", "piscina"])("flows queued at a worker (%s channel)", (channel) => {
  it("run on the replacement worker when the flow ahead of them is stopped at its budget", async () => {
    const gateway = await startTestGateway(config(`, channel: ${channel}`));
    const looping = loop(gateway);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the loop is running on the only worker
    const queued = await Promise.all([healthy(gateway), healthy(gateway), healthy(gateway)]);
    const stopped = await looping;
    expect(stopped.status).toBe(503);
    expect(stopped.json()).toMatchObject({ code: "PCS_ERR_POLICY_TIMEOUT" });
    expect(queued.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(queued.every((r) => r.json<{ headers: Record<string, string> }>().headers["x-order"] === "healthy")).toBe(true);
  });

  it("answer 503 PCS_ERR_POLICY_POOL_BUSY past queueTimeoutMs, are skipped, and the pool serves afterwards", async () => {
    const gateway = await startTestGateway(config(`, channel: ${channel}, queueTimeoutMs: 100`, 1_500));
    const looping = loop(gateway);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const waited = await healthy(gateway);
    expect(waited.status).toBe(503);
    expect(waited.json()).toMatchObject({ code: "PCS_ERR_POLICY_POOL_BUSY" });
    expect((await looping).json()).toMatchObject({ code: "PCS_ERR_POLICY_TIMEOUT" });
    // The replacement worker takes longer to start than this queue timeout allows: wait for it, bounded.
    const until = Date.now() + 10_000;
    while ((await healthy(gateway)).status !== 200 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 3; i++) expect((await healthy(gateway)).status).toBe(200);
  });
});
