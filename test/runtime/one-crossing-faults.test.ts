import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { plugin } from "./support/policies.js";

afterEach(stopAll);

/**
 * /deny: a policy rejects with 401, a fault policy reshapes it, a response policy tags it. /made: a
 * policy answers 200, a response policy tags it. /broken-fault: a rejection whose fault policy traps.
 */
const yaml = `
plugins:
${plugin("respond")}
${plugin("fault-json")}
${plugin("tag")}
${plugin("misbehave")}
runtime: { workers: 2 }
${routesYaml(`
      - name: deny
        match: { path: { prefix: /deny } }
        policies:
          request: [ { plugin: respond, with: { status: 401, body: no } } ]
          fault: [ { plugin: fault-json } ]
          response: [ { plugin: tag, with: { label: after-fault } } ]
        backend: { echo: true }
      - name: made
        match: { path: { prefix: /made } }
        policies:
          request: [ { plugin: respond, with: { status: 200, body: made by a policy } } ]
          response: [ { plugin: tag, with: { label: after-answer } } ]
        backend: { echo: true }
      - name: broken-fault
        match: { path: { prefix: /broken-fault } }
        policies:
          request: [ { plugin: respond, with: { status: 403, body: refused } } ]
          fault: [ { plugin: misbehave } ]
          response: [ { plugin: tag, with: { label: after-fault } } ]
        backend: { echo: true }`)}
`;

async function crossings(gateway: TestGateway): Promise<Record<string, number>> {
  const text = (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/metrics`)).body.toString();
  const out: Record<string, number> = {};
  for (const [, flow, value] of text.matchAll(/^portcullis_policy_crossings_total\{flow="(\w+)"\} (\d+)/gm)) out[flow!] = Number(value);
  return out;
}

describe("a policy's answer and the chains on it run in one crossing", () => {
  it("a rejection reshaped by a fault policy and tagged by a response policy costs one task, not three", async () => {
    const gateway = await startTestGateway(yaml);
    for (let i = 0; i < 5; i++) {
      const denied = await rawRequest(gateway.url("/deny"));
      // The fault policy's answer, then the response policy's header on it: both chains ran, in order.
      expect(denied.status).toBe(401);
      expect(denied.json()).toMatchObject({ shaped: true, code: "PCS_ERR_POLICY_REJECTED", policy: "respond" });
      expect(denied.headers["x-response-order"]).toBe("after-fault");
    }
    expect(await crossings(gateway)).toEqual({ request: 5 });
    const plugins = (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/plugins`)).json<Record<string, { calls: number }>>();
    expect(plugins["fault-json"]!.calls).toBe(5);
    expect(plugins.tag!.calls).toBe(5);
  });

  it("a direct answer under 400 goes through the response chain in the same task", async () => {
    const gateway = await startTestGateway(yaml);
    for (let i = 0; i < 3; i++) {
      const made = await rawRequest(gateway.url("/made"));
      expect(made.status).toBe(200);
      expect(made.body.toString()).toBe("made by a policy");
      expect(made.headers["x-responder"]).toBe("respond");
      expect(made.headers["x-response-order"]).toBe("after-answer");
    }
    expect(await crossings(gateway)).toEqual({ request: 3 });
  });

  it("a fault policy that traps leaves the rejection as it was, and the response chain still runs on it, in one task", async () => {
    const gateway = await startTestGateway(yaml);
    const refused = await rawRequest(gateway.url("/broken-fault"));
    expect(refused.status).toBe(403);
    expect(refused.body.toString()).toBe("refused");
    expect(refused.headers["x-response-order"]).toBe("after-fault");
    expect(await crossings(gateway)).toEqual({ request: 1 });
    const plugins = (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/plugins`)).json<Record<string, { failures: Record<string, number> }>>();
    expect(plugins.misbehave!.failures.PCS_ERR_POLICY_TRAPPED).toBe(1);
  });
});
