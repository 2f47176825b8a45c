import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, stopAll } from "../../../test/support/servers.js";
import { countingUpstream } from "../../../test/support/counting-upstream.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";

afterEach(stopAll);

/** One listener on `host` with one route filtered by ip-filter configured with `config` (flow YAML). */
const filtered = (host: string, config: string, upstreamUrl: string) => `
plugins:
  ip-filter: { path: ${builtPolicy("ip-filter")} }
listeners:
  - name: main
    host: "${host}"
    port: 0
    routes:
      - name: all
        policies: { request: [ { plugin: ip-filter, with: ${config} } ] }
        backend: { url: ${upstreamUrl} }
`;

const codeOf = (response: { json: <T>() => T }) => response.json<{ code: string }>().code;

describe("ip-filter in a gateway", () => {
  it("runs the README example: X-Forwarded-For through the trusted proxy, walked from the right", async () => {
    const upstream = await countingUpstream();
    const gateway = await startTestGateway(readmeExample("ip-filter", upstream.url));
    const get = (forwardedFor?: string) => rawRequest(gateway.url("/admin"), { headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {} });

    const direct = await get();
    expect(direct.status).toBe(403);
    expect(codeOf(direct)).toBe("IP_NOT_ALLOWED");
    expect((await get("10.1.2.3")).status).toBe(200);
    expect((await get("203.0.113.5, 10.1.2.3")).status).toBe(200);
    const outside = await get("10.1.2.3, 203.0.113.5");
    expect([outside.status, codeOf(outside)]).toEqual([403, "IP_NOT_ALLOWED"]);
    const denied = await get("10.66.0.1");
    expect([denied.status, codeOf(denied)]).toEqual([403, "IP_DENIED"]);
    const malformed = await get("10.1.2.3, not-an-address");
    expect([malformed.status, codeOf(malformed)]).toEqual([400, "CLIENT_ADDRESS_MALFORMED"]);
    expect(upstream.hits()).toBe(2);
  });

  it("filters on the socket address and ignores X-Forwarded-For without trusted proxies", async () => {
    const upstream = await countingUpstream();
    const allowed = await startTestGateway(filtered("127.0.0.1", "{ allow: [127.0.0.0/8] }", upstream.url));
    expect((await rawRequest(allowed.url("/"), { headers: { "x-forwarded-for": "203.0.113.5" } })).status).toBe(200);

    const denied = await startTestGateway(filtered("127.0.0.1", "{ deny: [127.0.0.1] }", upstream.url));
    const response = await rawRequest(denied.url("/"), { headers: { "x-forwarded-for": "10.1.2.3" } });
    expect([response.status, codeOf(response)]).toEqual([403, "IP_DENIED"]);
    expect(upstream.hits()).toBe(1);
  });

  it("filters an IPv6 client", async () => {
    const upstream = await countingUpstream();
    const allowed = await startTestGateway(filtered("::1", '{ allow: ["::1/128"] }', upstream.url));
    expect((await rawRequest(allowed.url("/"))).status).toBe(200);
    const refused = await startTestGateway(filtered("::1", '{ allow: ["2001:db8::/32", 127.0.0.1] }', upstream.url));
    const response = await rawRequest(refused.url("/"));
    expect([response.status, codeOf(response)]).toEqual([403, "IP_NOT_ALLOWED"]);
  });

  it("refuses a range with host bits set at load, naming the line", async () => {
    const yaml = filtered("127.0.0.1", "{ allow: [10.0.0.1/8] }", "http://127.0.0.1:9");
    await expect(startTestGateway(yaml)).rejects.toThrow(/host bits[\s\S]*test\.yaml:\d+|test\.yaml:\d+[\s\S]*host bits/);
  });
});
