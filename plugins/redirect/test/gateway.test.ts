import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, stopAll } from "../../../test/support/servers.js";
import { countingUpstream } from "../../../test/support/counting-upstream.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";

afterEach(stopAll);

const plugins = `plugins:
  redirect:
    path: ${builtPolicy("redirect")}
    capabilities: { expression: true }
`;

describe("redirect (gateway)", () => {
  it("runs the README example: 301 dropping the query, 308 templated from the path keeping it, never calling the upstream", async () => {
    const upstream = await countingUpstream();
    const gateway = await startTestGateway(readmeExample("redirect", upstream.url));

    const shop = await rawRequest(gateway.url("/shop/cart?item=1"));
    expect([shop.status, shop.headers.location, shop.body.length]).toEqual([301, "https://shop.example.com/", 0]);

    const api = await rawRequest(gateway.url("/v1/users/7?expand=roles"), { method: "POST", body: '{"a":1}' });
    expect([api.status, api.headers.location]).toEqual([308, "https://api.example.com/v2/users/7?expand=roles"]);
    expect(upstream.hits()).toBe(0);
  });

  it("answers 400 REDIRECT_LOCATION_INVALID when a request value would put CR/LF into the location", async () => {
    const upstream = await countingUpstream();
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: lang
        policies:
          request:
            - plugin: redirect
              with: { status: 307, query: drop, location: { expression: '"/" + request.query.lang + "/home"' } }
        backend: { url: ${upstream.url} }`)}`,
    );
    const injected = await rawRequest(gateway.url("/?lang=en%0d%0aset-cookie:%20admin=1"));
    expect([injected.status, injected.headers.location, injected.headers["set-cookie"]]).toEqual([400, undefined, undefined]);
    expect(injected.json()).toEqual({ code: "REDIRECT_LOCATION_INVALID" });
    const missing = await rawRequest(gateway.url("/"));
    expect([missing.status, missing.json()]).toEqual([400, { code: "REDIRECT_LOCATION_INVALID" }]);
    const fine = await rawRequest(gateway.url("/?lang=fr"));
    expect([fine.status, fine.headers.location]).toEqual([307, "/fr/home"]);
    expect(upstream.hits()).toBe(0);
  });

  it("refuses at load, naming the YAML line, an invalid status, a location with CR/LF and a missing location", async () => {
    const start = startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request:
            - { plugin: redirect, with: { status: 303, location: /x } }
            - { plugin: redirect, with: { location: "/a\\r\\nset-cookie: admin=1" } }
            - { plugin: redirect, with: { status: 301 } }
        backend: { echo: true }`)}`,
    );
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    const message = String(((await start.catch((e: unknown) => e)) as Error).message);
    for (const index of [0, 1, 2]) expect(message).toMatch(new RegExp(`test\\.yaml:\\d+:\\d+ .*policies\\.request\\[${index}\\]\\.with`));
  });
});
