import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { rawRequest, startUpstream, stopAll, type RawResponse } from "../support/servers.js";

/**
 * Issue 5's combined route: cors, jwt, api-key and authorize on one route, as an operator would
 * configure them, against a real upstream. The order is the attachment order: cors answers
 * preflights first; jwt authenticates the user, api-key the calling application, authorize
 * decides per method from both; cors in the response flow reaches every answer, rejections included.
 */
const ORIGIN = "https://shop.example.com";
let gateway: TestGateway;
let privateKey: CryptoKey;
const seen: Array<Record<string, string | string[] | undefined>> = [];

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "idp-1", alg: "ES256", use: "sig" };
  const upstream = await startUpstream((req, res) => {
    seen.push(req.headers);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ ok: true }));
  });
  const cors = `{ allowOrigins: ["${ORIGIN}"], allowMethods: [GET, POST], allowHeaders: [authorization, content-type, x-api-key], exposeHeaders: [x-request-id], allowCredentials: true }`;
  gateway = await startTestGateway(`
plugins:
  cors: { path: ${builtPolicy("cors")} }
  jwt: { path: ${builtPolicy("jwt")}, capabilities: { crypto: true, clock: true, kv: true, http: { allow: [] }, files: { allow: [] } } }
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
  authorize: { path: ${builtPolicy("authorize")}, capabilities: { expression: true } }
listeners:
  - name: public
    host: 127.0.0.1
    port: 0
    routes:
      - name: products
        match: { path: { prefix: /products } }
        policies:
          request:
            - { plugin: cors, with: ${cors} }
            - plugin: jwt
              with:
                algorithms: [ES256]
                keys: [ ${JSON.stringify(jwk)} ]
                issuer: https://idp.example
                audience: products
                claimsToHeaders: { sub: x-user-id }
            - plugin: api-key
              with: { keys: [ { consumer: storefront, key: app-key-1, tier: premium } ] }
            - plugin: authorize
              with:
                default: deny
                rules:
                  - { methods: [GET, HEAD], effect: allow }
                  - { methods: [POST], scopes: ["products:write"], effect: allow }
          response:
            - { plugin: cors, with: ${cors} }
        backend: { url: ${upstream.url} }
`);
});

afterAll(stopAll);

const token = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ sub: "alice", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
    .setIssuer("https://idp.example")
    .setAudience("products")
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(privateKey);

const call = (method: string, headers: Record<string, string>, body?: string) =>
  rawRequest(gateway.url("/products/42"), { method, headers: { origin: ORIGIN, ...headers }, body });

function expectCors(response: RawResponse): void {
  expect(response.headers["access-control-allow-origin"]).toBe(ORIGIN);
  expect(response.headers["access-control-allow-credentials"]).toBe("true");
  expect(String(response.headers.vary).toLowerCase()).toContain("origin");
}

describe("cors + jwt + api-key + authorize on one route", () => {
  it("answers a preflight without credentials, and the upstream never sees it", async () => {
    const before = seen.length;
    const preflight = await call("OPTIONS", {
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, x-api-key, content-type",
    });
    expect(preflight.status).toBe(204);
    expectCors(preflight);
    expect(seen.length).toBe(before);
  });

  it("lets a GET with a user token and an application key through, without forwarding either credential", async () => {
    const response = await call("GET", { authorization: `Bearer ${await token()}`, "x-api-key": "app-key-1" });
    expect(response.status).toBe(200);
    expectCors(response);
    const upstream = seen.at(-1)!;
    expect(upstream["x-user-id"]).toBe("alice");
    expect(upstream.authorization).toBeUndefined();
    expect(upstream["x-api-key"]).toBeUndefined();
  });

  it("rejects a missing token with 401 that the browser can read (CORS headers on the rejection)", async () => {
    const response = await call("GET", { "x-api-key": "app-key-1" });
    expect(response.status).toBe(401);
    expect(response.json()).toMatchObject({ code: "JWT_MISSING" });
    expect(response.headers["www-authenticate"]).toMatch(/^Bearer/);
    expectCors(response);
  });

  it("rejects a valid token without the application key", async () => {
    const response = await call("GET", { authorization: `Bearer ${await token()}` });
    expect(response.status).toBe(401);
    expect(response.json()).toMatchObject({ code: "API_KEY_MISSING" });
    expectCors(response);
  });

  it("lets POST through only with the products:write scope", async () => {
    const headers = { "x-api-key": "app-key-1", "content-type": "application/json" };
    const denied = await call("POST", { ...headers, authorization: `Bearer ${await token({ scope: "products:read" })}` }, "{}");
    expect(denied.status).toBe(403);
    expect(denied.json()).toMatchObject({ code: "NO_MATCHING_RULE" });
    expectCors(denied);
    const allowed = await call("POST", { ...headers, authorization: `Bearer ${await token({ scope: "products:read products:write" })}` }, "{}");
    expect(allowed.status).toBe(200);
    expectCors(allowed);
  });
});
