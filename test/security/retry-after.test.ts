import { afterEach, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { singleRoute, startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll, type RawResponse } from "../support/servers.js";
import { BAD_AND_OK_ROUTES, plugin } from "../runtime/support/policies.js";

afterEach(stopAll);

/** /bad runs `misbehave` (its mode from a header), /ok a healthy policy; one worker so flows queue. */
function config(runtime: string, timeoutMs = 300): string {
  return `
plugins:
${plugin("misbehave", `    limits: { timeoutMs: ${timeoutMs} }\n`)}
${plugin("tag")}
runtime: { workers: 1, tasksPerWorker: 4${runtime} }
${BAD_AND_OK_ROUTES}
`;
}

const misbehave = (gateway: TestGateway, mode: string) => rawRequest(gateway.url("/bad"), { headers: { "x-misbehave": mode } });

function expectRetryAfter(response: RawResponse, code: string): void {
  expect(response.status).toBe(503);
  expect(response.json()).toMatchObject({ code });
  expect(Number(response.headers["retry-after"])).toBeGreaterThan(0);
}

describe("503s from load or a passing state carry Retry-After", () => {
  it("PCS_ERR_POLICY_TIMEOUT and PCS_ERR_POLICY_POOL_BUSY", async () => {
    const gateway = await startTestGateway(config(", queueTimeoutMs: 100", 1_500));
    const looping = misbehave(gateway, "loop");
    await new Promise((resolve) => setTimeout(resolve, 50)); // the loop holds the only worker
    expectRetryAfter(await rawRequest(gateway.url("/ok")), "PCS_ERR_POLICY_POOL_BUSY");
    expectRetryAfter(await looping, "PCS_ERR_POLICY_TIMEOUT");
  });

  it("PCS_ERR_POLICY_UNAVAILABLE and PCS_ERR_POLICY_QUARANTINED", async () => {
    const gateway = await startTestGateway(config(", quarantine: { failures: 2, baseMs: 60000 }"));
    expectRetryAfter(await misbehave(gateway, "unavailable"), "PCS_ERR_POLICY_UNAVAILABLE");
    await misbehave(gateway, "internal");
    expectRetryAfter(await misbehave(gateway, "none"), "PCS_ERR_POLICY_QUARANTINED");
  });

  it("PCS_ERR_SHUTTING_DOWN", async () => {
    let release = (): void => {};
    const upstream = await startUpstream((_req, res) => {
      res.write("started;");
      release = () => res.end("finished");
    });
    const gateway = await startTestGateway(singleRoute(`{ url: "${upstream.url}" }`));
    const busy = connect(gateway.listeners[0]!.port, "127.0.0.1");
    let received = "";
    const headStarted = new Promise<void>((resolve) => busy.on("data", (d) => ((received += d.toString()), resolve())));
    const closed = new Promise((resolve) => busy.on("close", resolve));
    busy.write("GET /first HTTP/1.1\r\nhost: x\r\n\r\n");
    await headStarted;
    const drained = gateway.drain(5_000);
    busy.write("GET /second HTTP/1.1\r\nhost: x\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await closed;
    await drained;
    expect(received).toMatch(/HTTP\/1\.1 503 [^\r]*\r\n(?:[^\r]+\r\n)*retry-after: \d+\r\n[\s\S]*PCS_ERR_SHUTTING_DOWN/i);
  });
});
