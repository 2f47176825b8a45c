import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { deadPort, rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";

afterEach(stopAll);

const SHOP = "https://shop.example.com";

function preflight(origin: string, method: string, headers = "content-type") {
  return {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  };
}

describe("cors in a gateway", () => {
  it("runs the README example: preflights answered by the gateway, CORS headers on upstream answers and on a 502", async () => {
    let hits = 0;
    const upstream = await startUpstream((_req, res) => {
      hits++;
      res.end("products");
    });
    const gateway = await startTestGateway(readmeExample("cors", upstream.url));

    const allowed = await rawRequest(gateway.url("/products"), preflight("https://pr-7.preview.example.com", "POST"));
    expect(allowed.status).toBe(204);
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://pr-7.preview.example.com");
    expect(allowed.headers["access-control-allow-methods"]).toBe("GET, POST, DELETE");
    expect(allowed.headers["access-control-allow-headers"]).toBe("content-type");
    expect(allowed.headers["access-control-max-age"]).toBe("600");

    const refused = await rawRequest(gateway.url("/products"), preflight("https://evil.example.com", "POST"));
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ code: "CORS_ORIGIN_NOT_ALLOWED" });
    expect(refused.headers["access-control-allow-origin"]).toBeUndefined();
    expect((await rawRequest(gateway.url("/products"), preflight(SHOP, "PATCH"))).json()).toMatchObject({ code: "CORS_METHOD_NOT_ALLOWED" });
    expect(hits).toBe(0);

    const get = await rawRequest(gateway.url("/products"), { headers: { origin: SHOP } });
    expect(get.status).toBe(200);
    expect(get.headers).toMatchObject({
      "access-control-allow-origin": SHOP,
      "access-control-allow-credentials": "true",
      "access-control-expose-headers": "x-request-id",
      vary: "Origin",
    });
    const foreign = await rawRequest(gateway.url("/products"), { headers: { origin: "null" } });
    expect(foreign.status).toBe(200);
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
    expect(foreign.headers.vary).toBe("Origin");

    await upstream.close();
    const down = await rawRequest(gateway.url("/products"), { headers: { origin: SHOP } });
    expect(down.status).toBe(502);
    expect(down.headers["access-control-allow-origin"]).toBe(SHOP);
  });

  it("with api-key on the same route: the 401 carries the CORS headers and a preflight needs no key", async () => {
    let seen: string | undefined;
    const upstream = await startUpstream((req, res) => {
      seen = req.method;
      res.end("ok");
    });
    const gateway = await startTestGateway(`
plugins:
  cors: { path: ${builtPolicy("cors")} }
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
${routesYaml(`
      - name: products
        policies:
          request:
            - plugin: cors
              with: &cors { allowOrigins: ["${SHOP}"], allowMethods: [GET, POST], allowHeaders: [x-api-key, content-type], allowCredentials: true }
            - plugin: api-key
              with: { keys: [ { consumer: shop, key: shop-key } ] }
          response:
            - plugin: cors
              with: *cors
        backend: { url: ${upstream.url} }
`)}`);

    const noKey = await rawRequest(gateway.url("/products"), { method: "POST", headers: { origin: SHOP } });
    expect(noKey.status).toBe(401);
    expect(noKey.json()).toMatchObject({ code: "API_KEY_MISSING" });
    expect(noKey.headers["www-authenticate"]).toBe('ApiKey realm="api"');
    expect(noKey.headers["access-control-allow-origin"]).toBe(SHOP);
    expect(noKey.headers["access-control-allow-credentials"]).toBe("true");
    expect(noKey.headers.vary).toBe("Origin");

    const pre = await rawRequest(gateway.url("/products"), preflight(SHOP, "POST", "x-api-key, content-type"));
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe(SHOP);
    expect(pre.headers["access-control-allow-headers"]).toBe("x-api-key, content-type");
    expect(seen).toBeUndefined();

    const keyed = await rawRequest(gateway.url("/products"), { method: "POST", headers: { origin: SHOP, "x-api-key": "shop-key" } });
    expect(keyed.status).toBe(200);
    expect(keyed.headers["access-control-allow-origin"]).toBe(SHOP);
    expect(seen).toBe("POST");
  });

  it("refuses * with allowCredentials when the configuration loads", async () => {
    const yaml = `
plugins:
  cors: { path: ${builtPolicy("cors")} }
${routesYaml(`
      - name: all
        policies: { request: [ { plugin: cors, with: { allowOrigins: ["*"], allowCredentials: true } } ] }
        backend: { url: "http://127.0.0.1:${await deadPort()}" }
`)}`;
    await expect(startTestGateway(yaml)).rejects.toThrow(/allowCredentials/);
  });
});
