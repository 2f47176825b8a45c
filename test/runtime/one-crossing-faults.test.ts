import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { plugin } from "./support/policies.js";

afterEach(stopAll);

/** /deny: a policy rejects with 401, a fault policy reshapes it, a response policy tags it. */
const yaml = `
plugins:
${plugin("respond")}
${plugin("fault-json")}
${plugin("tag")}
runtime: { workers: 2 }
${routesYaml(`
      - name: deny
        match: { path: { prefix: /deny } }
        policies:
          request: [ { plugin: respond, with: { status: 401, body: no } } ]
          fault: [ { plugin: fault-json } ]
          response: [ { plugin: tag, with: { label: after-fault } } ]
        backend: { echo: true }`)}
`;

async function crossings(gateway: TestGateway): Promise<Record<string, number>> {
  const text = (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/metrics`)).body.toString();
  const out: Record<string, number> = {};
  for (const [, flow, value] of text.matchAll(/^portcullis_policy_crossings_total\{flow="(\w+)"\} (\d+)/gm)) out[flow!] = Number(value);
  return out;
}

describe("fault and response chains run in one crossing", () => {
  it("a rejection reshaped by a fault policy and tagged by a response policy costs two tasks, not three", async () => {
    const gateway = await startTestGateway(yaml);
    for (let i = 0; i < 5; i++) {
      const denied = await rawRequest(gateway.url("/deny"));
      // The fault policy's answer, then the response policy's header on it: both chains ran, in order.
      expect(denied.status).toBe(401);
      expect(denied.json()).toMatchObject({ shaped: true, code: "PCS_ERR_POLICY_REJECTED", policy: "respond" });
      expect(denied.headers["x-response-order"]).toBe("after-fault");
    }
    expect(await crossings(gateway)).toEqual({ request: 5, fault: 5 });
  });
});
