import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, stopAll } from "../../../test/support/servers.js";
import { echoUpstream } from "../../../test/support/counting-upstream.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";

afterEach(stopAll);

const tagPolicy = fileURLToPath(new URL("../../../test/runtime/fixtures/tag/build/tag.wasm", import.meta.url));

type Seen = { url: string; headers: Record<string, string> };

describe("api-key in a gateway", () => {
  it("runs the README example: 401s with a challenge, keys plain and hashed, the key stripped upstream", async () => {
    const upstream = await echoUpstream();
    const gateway = await startTestGateway(readmeExample("api-key", upstream.url), { env: { ALICE_API_KEY: "alice-key-2024" } });

    const missing = await rawRequest(gateway.url("/products"));
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe('ApiKey realm="products"');
    expect(missing.json()).toMatchObject({ code: "API_KEY_MISSING" });

    const wrong = await rawRequest(gateway.url("/products"), { headers: { "x-api-key": "alice-key-2023" } });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ code: "API_KEY_INVALID" });
    expect(wrong.body.toString()).not.toContain("alice-key-2023");
    expect(upstream.hits()).toBe(0);

    const alice = await rawRequest(gateway.url("/products/1"), { headers: { "x-api-key": "alice-key-2024", "x-other": "kept" } });
    expect(alice.status).toBe(200);
    const seen = alice.json<Seen>();
    expect(seen.headers["x-api-key"]).toBeUndefined();
    expect(seen.headers["x-other"]).toBe("kept");

    const bob = await rawRequest(gateway.url("/products"), { headers: { "x-api-key": "bob-key-2024" } });
    expect(bob.status).toBe(200);
    expect(upstream.hits()).toBe(2);
  });

  it("exposes consumer and tier to later policies' expressions", async () => {
    const upstream = await echoUpstream();
    const gateway = await startTestGateway(`
plugins:
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
  tag: { path: ${tagPolicy} }
${routesYaml(`
      - name: all
        policies:
          request:
            - plugin: api-key
              with: { keys: [ { consumer: alice, key: a-key, tier: premium }, { consumer: bob, key: b-key } ] }
            - plugin: tag
              with: { label: premium-alice }
              when: 'metadata.consumer == "alice" && metadata.tier == "premium"'
        backend: { url: ${upstream.url} }
`)}`);
    const alice = await rawRequest(gateway.url("/"), { headers: { "x-api-key": "a-key" } });
    expect(alice.json<Seen>().headers["x-order"]).toBe("premium-alice");
    const bob = await rawRequest(gateway.url("/"), { headers: { "x-api-key": "b-key" } });
    expect(bob.json<Seen>().headers["x-order"]).toBeUndefined();
  });

  it("takes the key from a query parameter (decoded by the host) and from a cookie, and removes only it", async () => {
    const upstream = await echoUpstream();
    const gateway = await startTestGateway(`
plugins:
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
${routesYaml(`
      - name: query
        match: { path: { prefix: /q } }
        policies: { request: [ { plugin: api-key, with: { in: query, name: api_key, keys: [ { consumer: c, key: "k+y/1" } ] } } ] }
        backend: { url: ${upstream.url} }
      - name: cookie
        match: { path: { prefix: /c } }
        policies: { request: [ { plugin: api-key, with: { in: cookie, name: token, keys: [ { consumer: c, key: k1 } ] } } ] }
        backend: { url: ${upstream.url} }
`)}`);
    const query = await rawRequest(gateway.url("/q?page=2&api_key=k%2By%2F1&sort=asc"));
    expect(query.status).toBe(200);
    expect(query.json<Seen>().url).toBe("/q?page=2&sort=asc");
    const encodedName = await rawRequest(gateway.url("/q?api%5Fkey=k%2By%2F1"));
    expect(encodedName.status).toBe(401);
    expect(encodedName.json()).toMatchObject({ code: "API_KEY_MALFORMED" });
    expect((await rawRequest(gateway.url("/q?api_key=wrong"))).json()).toMatchObject({ code: "API_KEY_INVALID" });

    const cookie = await rawRequest(gateway.url("/c"), { headers: { cookie: "a=1; token=k1; b=2" } });
    expect(cookie.status).toBe(200);
    expect(cookie.json<Seen>().headers.cookie).toBe("a=1; b=2");
    const noCookie = await rawRequest(gateway.url("/c"), { headers: { cookie: "a=1" } });
    expect(noCookie.json()).toMatchObject({ code: "API_KEY_MISSING" });
  });

  it("refuses a configuration without keys at load, naming the line", async () => {
    const yaml = `
plugins:
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
${routesYaml(`
      - name: all
        policies: { request: [ { plugin: api-key, with: { keys: [] } } ] }
        backend: { echo: true }
`)}`;
    await expect(startTestGateway(yaml)).rejects.toThrow(/keys[\s\S]*line|line[\s\S]*keys|test\.yaml:\d+/);
  });
});
