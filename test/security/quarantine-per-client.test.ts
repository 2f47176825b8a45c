import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { plugin } from "../runtime/support/policies.js";

afterEach(stopAll);

/** One route through `misbehave` (its mode from x-misbehave); the listener may trust 127.0.0.1 as a proxy. */
function config(quarantine: string, trustedProxies = "") {
  const routes = routesYaml(`
      - name: guarded
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: misbehave } ] }
        backend: { echo: true }`);
  const listener = trustedProxies ? routes.replace("    port: 0\n", `    port: 0\n    trustedProxies: [${trustedProxies}]\n`) : routes;
  return `
plugins:
${plugin("misbehave", "    limits: { timeoutMs: 500, memoryMb: 4 }\n")}
runtime: { workers: 2, quarantine: { ${quarantine} } }
${listener}
`;
}

const send = (gateway: TestGateway, mode: string, from = "127.0.0.1", headers: Record<string, string> = {}) =>
  rawRequest(gateway.url("/"), { localAddress: from, headers: { "x-misbehave": mode, ...headers } });

async function pluginState(gateway: TestGateway): Promise<{ active: boolean; level: number; clients: { quarantined: number } }> {
  const plugins = (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/plugins`)).json<Record<string, any>>();
  return plugins.misbehave.quarantine;
}

describe("quarantine is charged to the client that provokes the failures", () => {
  it("an attacker's traps quarantine the attacker only: a good client on the same policy keeps >= 99% success", async () => {
    const gateway = await startTestGateway(config("failures: 3, baseMs: 60000"));
    const attacker: number[] = [];
    const good: number[] = [];
    let stop = false;
    const deadline = Date.now() + 6_000;
    const attack = (async () => {
      while (!stop && Date.now() < deadline) attacker.push((await send(gateway, "trap", "127.0.0.2")).status);
    })();
    while (good.length < 300 && Date.now() < deadline) good.push((await send(gateway, "none", "127.0.0.1")).status);
    stop = true;
    await attack;

    expect(good.length).toBeGreaterThan(50);
    expect(good.filter((s) => s === 200).length / good.length).toBeGreaterThanOrEqual(0.99);
    // The attacker met its own quarantine: a few traps, then fast 503s with the time left as Retry-After.
    expect(attacker.filter((s) => s === 500).length).toBeLessThanOrEqual(3);
    const refused = await send(gateway, "none", "127.0.0.2");
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ code: "PCS_ERR_POLICY_QUARANTINED" });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(50);
    expect(await pluginState(gateway)).toMatchObject({ active: false, clients: { quarantined: 1 } });
    expect(gateway.logs.some((l) => l.code === "PCS_ERR_POLICY_QUARANTINED" && l.scope === "client")).toBe(true);
  });

  it("failures in a row from several clients quarantine the plugin for everyone, with growing backoff", async () => {
    const gateway = await startTestGateway(config("failures: 3, baseMs: 400, maxMs: 5000, clients: 3"));
    for (const from of ["127.0.0.1", "127.0.0.2", "127.0.0.3"]) expect((await send(gateway, "internal", from)).status).toBe(500);
    // A client that never failed is refused too: the plugin is broken, not provoked.
    const bystander = await send(gateway, "none", "127.0.0.4");
    expect(bystander.status).toBe(503);
    expect(bystander.json()).toMatchObject({ code: "PCS_ERR_POLICY_QUARANTINED" });
    expect(await pluginState(gateway)).toMatchObject({ active: true, level: 1 });
    expect(gateway.logs.some((l) => l.code === "PCS_ERR_POLICY_QUARANTINED" && l.scope === "plugin")).toBe(true);

    // Still broken after the quarantine: three more failing clients send it back, for twice as long.
    await new Promise((r) => setTimeout(r, 450));
    for (const from of ["127.0.0.5", "127.0.0.6", "127.0.0.7"]) expect((await send(gateway, "internal", from)).status).toBe(500);
    const state = await pluginState(gateway);
    expect(state).toMatchObject({ active: true, level: 2 });
    expect((state as unknown as { remainingMs: number }).remainingMs).toBeGreaterThan(400);

    // Healed: after the quarantine one success ends it and resets the backoff.
    await new Promise((r) => setTimeout(r, 850));
    expect((await send(gateway, "none", "127.0.0.8")).status).toBe(200);
    expect(await pluginState(gateway)).toMatchObject({ active: false, level: 0 });
  });

  it("one client's failures, however many, never quarantine the plugin for others", async () => {
    const gateway = await startTestGateway(config("failures: 2, baseMs: 200, clients: 2"));
    // The attacker's quarantine expires and its probes fail again, over and over.
    const deadline = Date.now() + 1_500;
    while (Date.now() < deadline) await send(gateway, "internal", "127.0.0.2");
    expect(await pluginState(gateway)).toMatchObject({ active: false });
    expect((await send(gateway, "none", "127.0.0.1")).status).toBe(200);
  });

  it("behind a trusted proxy, the forwarded client is charged, not the proxy; an IPv6 client by its /64", async () => {
    const gateway = await startTestGateway(config("failures: 2, baseMs: 60000", "127.0.0.1"));
    const via = (mode: string, forwardedFor: string) => send(gateway, mode, "127.0.0.1", { "x-forwarded-for": forwardedFor });
    // Forged entries to the left of the proxy-appended address do not change who is charged.
    expect((await via("internal", "10.9.9.1, 203.0.113.9")).status).toBe(500);
    expect((await via("internal", "10.9.9.2, 203.0.113.9")).status).toBe(500);
    expect((await via("none", "203.0.113.9")).status).toBe(503);
    // Other clients behind the same proxy are served.
    expect((await via("none", "198.51.100.7")).status).toBe(200);
    // An IPv6 client rotating addresses inside its /64 stays charged.
    expect((await via("internal", "2001:db8:1:2::a")).status).toBe(500);
    expect((await via("internal", "2001:db8:1:2:ffff::b")).status).toBe(500);
    expect((await via("none", "2001:db8:1:2::c")).status).toBe(503);
    expect((await via("none", "2001:db8:1:3::c")).status).toBe(200);
  });
});
