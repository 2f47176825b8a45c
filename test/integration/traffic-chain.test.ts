import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { recordingUpstream, type RecordingUpstream } from "../support/recording-upstream.js";
import { rawRequest, stopAll } from "../support/servers.js";

/**
 * Issue 6's combined route: api-key identifies the consumer and its tier, rate-limit counts per
 * consumer with the tier's limits, headers passes the consumer upstream, transform rewrites the
 * path, the query and the JSON body both ways. Configured as the plugins' READMEs document them,
 * against a real upstream that records what reached it.
 */
let gateway: TestGateway;
let upstream: RecordingUpstream;

beforeAll(async () => {
  upstream = await recordingUpstream({
    body: JSON.stringify({ id: 7, internalId: "db-7", name: "Widget" }),
    headers: { "content-type": "application/json" },
  });
  // Daily windows (aligned to UTC midnight) keep the counts exact for the length of the test.
  gateway = await startTestGateway(`
plugins:
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
  rate-limit: { path: ${builtPolicy("rate-limit")}, capabilities: { counters: true, expression: true, crypto: true } }
  headers: { path: ${builtPolicy("headers")}, capabilities: { expression: true } }
  transform: { path: ${builtPolicy("transform")}, capabilities: { expression: true, regex: true } }
listeners:
  - name: public
    host: 127.0.0.1
    port: 0
    routes:
      - name: products
        match: { path: { prefix: /shop } }
        policies:
          request:
            - plugin: api-key
              with:
                keys:
                  - { consumer: free-app, key: free-key, tier: free }
                  - { consumer: premium-app, key: premium-key, tier: premium }
            - plugin: rate-limit
              with: &limits
                key: metadata.consumer
                tier: metadata.tier
                defaultTier: free
                headers: ietf
                tiers:
                  free:    [ { name: per-day, requests: 3, window: 1d } ]
                  premium: [ { name: per-day, requests: 6, window: 1d } ]
            - plugin: headers
              with: { set: { x-consumer: { expression: metadata.consumer } } }
            - plugin: transform
              with: &transform
                request:
                  path: { regex: "^/shop/(?P<rest>.*)$", to: "/v2/catalog/\${rest}" }
                  query: { remove: [debug] }
                  body:
                    set: [{ path: $.placedBy, expression: metadata.consumer }]
                response:
                  body:
                    remove: [$.internalId]
          response:
            - { plugin: rate-limit, with: *limits }
            - { plugin: transform, with: *transform }
        backend: { url: ${upstream.url} }
`);
});

afterAll(stopAll);

const call = (key: string, path = "/shop/items/7?debug=1&page=2", init: { method?: string; body?: string } = {}) =>
  rawRequest(gateway.url(path), {
    method: init.method ?? "GET",
    headers: { "x-api-key": key, ...(init.body ? { "content-type": "application/json" } : {}) },
    body: init.body,
  });

describe("api-key, rate-limit (per consumer, tiered), headers and transform on one route", () => {
  it("forwards a rewritten request and answers a rewritten response with the rate-limit fields", async () => {
    const response = await call("premium-key", "/shop/orders", { method: "POST", body: '{"sku":"A-1","quantity":2}' });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ id: 7, name: "Widget" }); // internalId removed on the way back
    expect(response.headers["ratelimit-policy"]).toContain("6;w=86400");
    const forwarded = upstream.received.at(-1)!;
    expect(forwarded.url).toBe("/v2/catalog/orders");
    expect(forwarded.headers["x-consumer"]).toBe("premium-app");
    expect(forwarded.headers["x-api-key"]).toBeUndefined(); // the credential is not forwarded
    expect(JSON.parse(forwarded.body)).toEqual({ sku: "A-1", quantity: 2, placedBy: "premium-app" });
    expect(forwarded.headers["content-length"]).toBe(String(Buffer.byteLength(forwarded.body)));
  });

  it("drops only the query parameter it was told to", async () => {
    expect((await call("free-key")).status).toBe(200);
    expect(upstream.received.at(-1)!.url).toBe("/v2/catalog/items/7?page=2");
  });

  it("limits each consumer by its own tier: free is refused after 3 a day, premium after 6, independently", async () => {
    const statuses = async (key: string, count: number) => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) out.push((await call(key)).status);
      return out;
    };
    // The tests above used one request of each consumer.
    expect(await statuses("free-key", 3)).toEqual([200, 200, 429]);
    expect(await statuses("premium-key", 6)).toEqual([200, 200, 200, 200, 200, 429]);
    const refused = await call("free-key");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({ code: "RATE_LIMITED" });
    const upstreamCalls = upstream.received.length;
    expect((await call("premium-key")).status).toBe(429);
    expect(upstream.received.length).toBe(upstreamCalls); // a refused request never reaches the upstream
  });

  it("refuses a request without a key before it counts against anyone", async () => {
    const response = await rawRequest(gateway.url("/shop/items/7"));
    expect(response.status).toBe(401);
    expect(response.json()).toMatchObject({ code: "API_KEY_MISSING" });
  });
});
