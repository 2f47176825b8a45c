import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { plugin } from "./support/policies.js";

/**
 * The route is selected once, before any policy; the listener chain and the selected route's chain run
 * in one crossing. Only when a listener policy changes what selection reads (here the path, or a header a
 * route matches on) does the gateway select again and run the new route's chain in a second crossing.
 */
let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway(`
plugins:
  transform: { path: ${builtPolicy("transform")}, capabilities: { expression: true, regex: true } }
  headers: { path: ${builtPolicy("headers")}, capabilities: { expression: true } }
${plugin("tag")}
runtime: { workers: 1 }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    policies:
      request:
        - { plugin: tag, with: { label: L } }
        - plugin: transform
          when: '"x-to" in request.headers'
          with: { request: { path: { expression: 'request.headers["x-to"]' } } }
        - plugin: headers
          when: '"x-set-tenant" in request.headers'
          with: { set: { x-tenant: { expression: 'request.headers["x-set-tenant"]' } } }
    routes:
      - name: tenant-b
        match: { path: { prefix: /a }, headers: [ { name: x-tenant, exact: b } ] }
        policies: { request: [ { plugin: tag, with: { label: TB } } ] }
        backend: { echo: true }
      - name: a
        match: { path: { prefix: /a } }
        policies: { request: [ { plugin: tag, with: { label: A } } ] }
        backend: { echo: true }
      - name: b
        match: { path: { prefix: /b } }
        policies: { request: [ { plugin: tag, with: { label: B } } ] }
        backend: { echo: true }
`);
}, 60_000);
afterAll(stopAll);

async function requestCrossings(): Promise<number> {
  const text = (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/metrics`)).body.toString();
  return Number(/^portcullis_policy_crossings_total\{flow="request"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** The request as the echo backend saw it, and the request crossings it cost. */
async function send(path: string, headers: Record<string, string> = {}) {
  const before = await requestCrossings();
  const res = await rawRequest(gateway.url(path), { headers });
  const crossings = (await requestCrossings()) - before;
  return { res, crossings };
}

describe("route selection happens once", () => {
  it("runs the listener chain and the selected route's chain in one crossing when routing inputs are unchanged", async () => {
    const { res, crossings } = await send("/a/1");
    expect(res.status).toBe(200);
    const echoed = res.json<{ path: string; headers: Record<string, string> }>();
    expect(echoed.path).toBe("/a/1");
    expect(echoed.headers["x-order"]).toBe("L, A");
    expect(crossings).toBe(1);
  });

  it("selects again when a listener policy rewrites the path: the new route's chain runs, the first one's does not", async () => {
    const { res, crossings } = await send("/a/1", { "x-to": "/b/2" });
    expect(res.status).toBe(200);
    const echoed = res.json<{ path: string; headers: Record<string, string> }>();
    expect(echoed.path).toBe("/b/2");
    expect(echoed.headers["x-order"]).toBe("L, B");
    expect(crossings).toBe(2);
  });

  it("selects again when a listener policy sets a header a route matches on", async () => {
    const { res, crossings } = await send("/a/1", { "x-set-tenant": "b" });
    expect(res.status).toBe(200);
    expect(res.json<{ headers: Record<string, string> }>().headers["x-order"]).toBe("L, TB");
    expect(crossings).toBe(2);
  });

  it("runs the listener chain for a path no route matches, then answers 404; a rewrite can route it", async () => {
    const unmatched = await send("/nowhere");
    expect(unmatched.res.status).toBe(404);
    expect(unmatched.res.json()).toMatchObject({ code: "PCS_ERR_ROUTE_NOT_FOUND" });
    expect(unmatched.crossings).toBe(1);
    const rescued = await send("/nowhere", { "x-to": "/b/rescued" });
    expect(rescued.res.status).toBe(200);
    expect(rescued.res.json<{ headers: Record<string, string> }>().headers["x-order"]).toBe("L, B");
  });
});
