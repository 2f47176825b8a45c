import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { BAD_AND_OK_ROUTES, plugin } from "./support/policies.js";

afterEach(stopAll);

/** Two routes: /bad runs `misbehave` (its mode from a header), /ok runs a healthy policy. */
function config(channel: string, limits = "", quarantine = "") {
  return `
plugins:
${plugin("misbehave", `    limits: { timeoutMs: 300, memoryMb: 4${limits} }\n`)}
${plugin("tag")}
runtime: { workers: 2, channel: ${channel}${quarantine} }
${BAD_AND_OK_ROUTES}
`;
}

/** Sends healthy requests in a loop for as long as `during` runs; returns their statuses. */
async function healthyTrafficDuring(gateway: TestGateway, during: Promise<unknown>): Promise<number[]> {
  const statuses: number[] = [];
  let done = false;
  void during.finally(() => (done = true));
  const deadline = Date.now() + 10_000;
  while (!done && Date.now() < deadline) statuses.push((await rawRequest(gateway.url("/ok"))).status);
  await during;
  return statuses;
}

const misbehave = (gateway: TestGateway, mode: string, extra: Record<string, string> = {}) =>
  rawRequest(gateway.url("/bad"), { headers: { "x-misbehave": mode, ...extra } });

describe.each(["direct", "piscina"])("isolation (%s channel)", (channel) => {
  it("answers a trap with 500, discards the instance, and serves the next request with a fresh one", async () => {
    const gateway = await startTestGateway(config(channel));
    const trapped = misbehave(gateway, "trap");
    const healthy = await healthyTrafficDuring(gateway, trapped);
    const response = await trapped;
    expect(response.status).toBe(500);
    expect(response.json()).toMatchObject({ code: "PCS_ERR_POLICY_TRAPPED" });
    expect(healthy.every((s) => s === 200)).toBe(true);
    const next = await misbehave(gateway, "none");
    expect(next.status).toBe(200);
    expect(next.json<{ headers: Record<string, string> }>().headers["x-misbehave-passed"]).toBe("yes");
  });

  it("stops an infinite loop at its time budget with 503, replaces the worker, and keeps other routes serving", async () => {
    const gateway = await startTestGateway(config(channel));
    const looping = misbehave(gateway, "loop");
    const healthy = await healthyTrafficDuring(gateway, looping);
    const response = await looping;
    expect(response.status).toBe(503);
    expect(response.json()).toMatchObject({ code: "PCS_ERR_POLICY_TIMEOUT" });
    expect(healthy.length).toBeGreaterThan(0);
    expect(healthy.every((s) => s === 200)).toBe(true);
    // The pool still has working workers afterwards.
    for (let i = 0; i < 4; i++) expect((await misbehave(gateway, "none")).status).toBe(200);
  });

  it("fails a call whose guest memory grows past the cap, and only that call", async () => {
    const gateway = await startTestGateway(config(channel));
    const grown = await misbehave(gateway, "grow", { "x-grow-mb": "6" });
    expect(grown.status).toBe(500);
    expect(grown.json()).toMatchObject({ code: "PCS_ERR_POLICY_MEMORY" });
    expect((await misbehave(gateway, "none")).status).toBe(200);
    expect((await rawRequest(gateway.url("/ok"))).status).toBe(200);
  });

  it("maps policy errors to 503 (unavailable) and 500 (internal)", async () => {
    const gateway = await startTestGateway(config(channel));
    const unavailable = await misbehave(gateway, "unavailable");
    expect(unavailable.status).toBe(503);
    expect(unavailable.json()).toMatchObject({ code: "PCS_ERR_POLICY_UNAVAILABLE" });
    const internal = await misbehave(gateway, "internal");
    expect(internal.status).toBe(500);
    expect(internal.json()).toMatchObject({ code: "PCS_ERR_POLICY_FAILED" });
  });

  it("skips a failing policy whose failure mode is open, and logs it", async () => {
    const gateway = await startTestGateway(config(channel, ", failure: open"));
    const response = await misbehave(gateway, "trap");
    expect(response.status).toBe(200);
    expect(gateway.logs.some((l) => l.code === "PCS_ERR_POLICY_TRAPPED" && String(l.msg).includes("skipped"))).toBe(true);
  });

  it("quarantines a plugin that keeps failing, and /plugins shows it", async () => {
    const gateway = await startTestGateway(config(channel, "", ", quarantine: { failures: 3, baseMs: 60000 }"));
    for (let i = 0; i < 3; i++) expect((await misbehave(gateway, "internal")).status).toBe(500);
    const refused = await misbehave(gateway, "none");
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ code: "PCS_ERR_POLICY_QUARANTINED" });
    expect((await rawRequest(gateway.url("/ok"))).status).toBe(200);

    const plugins = (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/plugins`)).json<Record<string, any>>();
    // One client provoked it: that client is quarantined, not the plugin (test/security/quarantine-per-client).
    expect(plugins.misbehave.quarantine).toMatchObject({ active: false, clients: { quarantined: 1 } });
    expect(plugins.misbehave.failures.PCS_ERR_POLICY_FAILED).toBe(3);
    expect(plugins.misbehave.failures.PCS_ERR_POLICY_QUARANTINED).toBe(1);
    expect(plugins.tag.calls).toBe(1);
    expect(plugins.tag.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses to start when init rejects a configuration the schema allowed, naming its line", async () => {
    const start = startTestGateway(`
plugins:
${plugin("tag")}
${routesYaml(`
      - name: refused
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: tag, with: { label: refuse-init } } ] }
        backend: { echo: true }`)}
`);
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    await expect(start).rejects.toThrow(/test\.yaml:\d+:\d+ listeners\[0\]\.routes\[0\]\.policies\.request\[0\]\.with: .*refused at init/);
  });
});
