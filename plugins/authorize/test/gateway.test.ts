import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildPolicy } from "../../../sdk/src/build/build-policy.js";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, stopAll } from "../../../test/support/servers.js";
import { countingUpstream } from "../../../test/support/counting-upstream.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";

afterEach(stopAll);

/** Stand-in for the jwt policy: copies the JSON of header x-test-claims into metadata `jwt`. */
let claimsHeaderPolicy = "";
beforeAll(async () => {
  claimsHeaderPolicy = (await buildPolicy(fileURLToPath(new URL("./fixtures/claims-header", import.meta.url)))).wasmPath;
});

/** "200", or "403 <code>". */
async function outcome(url: string, method: string, headers: Record<string, string>): Promise<string> {
  const response = await rawRequest(url, { method, headers });
  return response.status === 403 ? `403 ${response.json<{ code: string }>().code}` : String(response.status);
}

describe("authorize in a gateway", () => {
  it("runs the README example: api-key roles and tier, per method, first match wins, default deny", async () => {
    const upstream = await countingUpstream();
    const gateway = await startTestGateway(readmeExample("authorize", upstream.url), {
      env: { ALICE_API_KEY: "alice-key", BOB_API_KEY: "bob-key" },
    });
    const bob = { "x-api-key": "bob-key" };
    const alice = { "x-api-key": "alice-key" };
    expect(await outcome(gateway.url("/products"), "GET", bob)).toBe("200");
    expect(await outcome(gateway.url("/products"), "POST", bob)).toBe("200");
    expect(await outcome(gateway.url("/products/1"), "DELETE", bob)).toBe("403 ADMIN_ONLY");
    expect(await outcome(gateway.url("/products/export"), "GET", bob)).toBe("403 PREMIUM_ONLY");
    expect(await outcome(gateway.url("/products/1"), "PATCH", bob)).toBe("403 NO_MATCHING_RULE");
    expect(upstream.hits()).toBe(2);
    expect(await outcome(gateway.url("/products/1"), "DELETE", alice)).toBe("200");
    expect(await outcome(gateway.url("/products/export"), "GET", alice)).toBe("200");
    expect(await outcome(gateway.url("/products"), "GET", {})).toBe("401");
    expect(upstream.hits()).toBe(4);
  });

  it("reads JWT claims from metadata jwt: GET open, POST needs scope products:write", async () => {
    const upstream = await countingUpstream();
    const gateway = await startTestGateway(`
plugins:
  claims: { path: ${claimsHeaderPolicy} }
  authorize: { path: ${builtPolicy("authorize")}, capabilities: { expression: true } }
${routesYaml(`
      - name: products
        policies:
          request:
            - plugin: claims
            - plugin: authorize
              with:
                rules:
                  - { methods: [GET], effect: allow }
                  - { methods: [POST], scopes: [products:write], effect: allow }
                  - { methods: [POST], when: 'has(jwt.sub) && jwt.sub == "service-7"', effect: allow }
        backend: { url: ${upstream.url} }
`)}`);
    const claims = (value: object) => ({ "x-test-claims": JSON.stringify(value) });
    expect(await outcome(gateway.url("/"), "GET", {})).toBe("200");
    expect(await outcome(gateway.url("/"), "POST", {})).toBe("403 NO_MATCHING_RULE");
    expect(await outcome(gateway.url("/"), "POST", claims({ scope: "products:read" }))).toBe("403 NO_MATCHING_RULE");
    expect(await outcome(gateway.url("/"), "POST", claims({ scope: "products:read products:write" }))).toBe("200");
    expect(await outcome(gateway.url("/"), "POST", claims({ sub: "service-7" }))).toBe("200");
    expect(upstream.hits()).toBe(3);
  });

  it("refuses an invalid CEL condition at load, naming the line", async () => {
    const yaml = `
plugins:
  authorize: { path: ${builtPolicy("authorize")}, capabilities: { expression: true } }
${routesYaml(`
      - name: all
        policies: { request: [ { plugin: authorize, with: { rules: [ { when: "metadata.tier ==", effect: allow } ] } } ] }
        backend: { echo: true }
`)}`;
    await expect(startTestGateway(yaml)).rejects.toThrow(/CEL[\s\S]*test\.yaml:\d+|test\.yaml:\d+[\s\S]*CEL/);
  });
});
