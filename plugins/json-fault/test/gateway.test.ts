import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway } from "../../../test/support/gateway.js";
import { deadPort, rawRequest, stopAll } from "../../../test/support/servers.js";
import { plugin } from "../../../test/runtime/support/policies.js";

afterEach(stopAll);

const jsonFaultPath = fileURLToPath(new URL("../build/json-fault.wasm", import.meta.url));

async function gateway(withBlock = "{}") {
  return startTestGateway(`
plugins:
  json-fault: { path: ${jsonFaultPath} }
${plugin("respond")}
${plugin("misbehave")}
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    policies:
      fault: [ { plugin: json-fault, with: ${withBlock} } ]
    routes:
      - name: locked
        match: { path: { prefix: /locked } }
        policies: { request: [ { plugin: respond, with: { status: 401, body: "no key" } } ] }
        backend: { echo: true }
      - name: fragile
        match: { path: { prefix: /fragile } }
        policies: { request: [ { plugin: misbehave } ] }
        backend: { echo: true }
      - name: down
        match: { path: { prefix: /down } }
        backend: { url: "http://127.0.0.1:${await deadPort()}" }
`);
}

describe("json-fault (gateway)", () => {
  it("shapes an unreachable upstream's 502 with the right content type and length", async () => {
    const gw = await gateway();
    const response = await rawRequest(gw.url("/down"));
    expect(response.status).toBe(502);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.headers["content-length"]).toBe(String(response.body.length));
    const requestId = response.headers["x-request-id"];
    expect(response.json()).toEqual({ code: "PCS_ERR_UPSTREAM_UNREACHABLE", message: expect.any(String), status: 502, requestId });
  });

  it("shapes a policy's text rejection and keeps its status and headers", async () => {
    const gw = await gateway();
    const response = await rawRequest(gw.url("/locked"));
    expect(response.status).toBe(401);
    expect(response.headers["x-responder"]).toBe("respond");
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.json()).toMatchObject({ code: "PCS_ERR_POLICY_REJECTED", message: "no key", status: 401 });
  });

  it("shapes the gateway's own 404 at the listener level, and a trapped policy in debug mode", async () => {
    const gw = await gateway('{ debug: true, envelope: error, contentType: "application/problem+json" }');
    const notFound = await rawRequest(gw.url("/nowhere"));
    expect(notFound.status).toBe(404);
    expect(notFound.headers["content-type"]).toBe("application/problem+json");
    expect(notFound.json()).toMatchObject({ error: { status: 404, details: { kind: "gateway-rejected", policy: null } } });
    const trapped = await rawRequest(gw.url("/fragile"), { headers: { "x-misbehave": "trap" } });
    expect(trapped.status).toBe(500);
    expect(trapped.json()).toMatchObject({
      error: { code: "PCS_ERR_POLICY_TRAPPED", status: 500, details: { kind: "policy-trapped", policy: "misbehave" } },
    });
  });

  it("refuses at load a configuration outside its schema, naming the line", async () => {
    const start = gateway("{ fields: { code: error, stack: trace } }");
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    await expect(start).rejects.toThrow(/test\.yaml:\d+:\d+ .*policies\.fault\[0\]\.with/);
  });
});
