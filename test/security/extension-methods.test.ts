import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { recordingUpstream, type RecordingUpstream } from "../support/recording-upstream.js";
import { rawRequest, stopAll } from "../support/servers.js";

/**
 * Issue 12: extension methods (PROPFIND, PURGE, REPORT, M-SEARCH) skipped every route, operation
 * and backend policy and were still proxied. Every method meets the route's chain; an operation's
 * policies apply to its own method only.
 */
let gateway: TestGateway;
let listed: TestGateway;
let upstream: RecordingUpstream;
const plugins = `
plugins:
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
  authorize: { path: ${builtPolicy("authorize")}, capabilities: { expression: true } }`;
const requireKey = "request: [ { plugin: api-key, with: { keys: [ { consumer: app, key: k1 } ] } } ]";

beforeAll(async () => {
  upstream = await recordingUpstream();
  // Only standard configuration here, so the bypass shows on a gateway from before the fix too.
  gateway = await startTestGateway(`${plugins}
${routesYaml(`
      - name: dav
        match: { path: { prefix: /dav } }
        policies: { ${requireKey} }
        backend: { url: ${upstream.url} }
`)}`);
  listed = await startTestGateway(`${plugins}
${routesYaml(`
      - name: dav
        match: { path: { prefix: /dav } }
        policies: { ${requireKey} }
        operations:
          PURGE:
            policies:
              request: [ { plugin: authorize, with: { default: deny, rules: [ { effect: deny, code: NO_PURGE } ] } } ]
        backend: { url: ${upstream.url} }
      - name: reads
        match: { path: { prefix: /reads }, methods: [GET, REPORT] }
        backend: { url: ${upstream.url} }
`)}`);
});

afterAll(stopAll);

describe("extension methods", () => {
  it.each(["PROPFIND", "PURGE", "REPORT", "M-SEARCH", "MKCALENDAR"])(
    "%s without a key meets the route's api-key and never reaches the backend",
    async (method) => {
      const before = upstream.received.length;
      const response = await rawRequest(gateway.url("/dav/file"), { method });
      expect(response.status).toBe(401);
      expect(upstream.received.length).toBe(before);
    },
  );

  it("PROPFIND with a key passes the route chain and is proxied as PROPFIND", async () => {
    const response = await rawRequest(gateway.url("/dav/file"), { method: "PROPFIND", headers: { "x-api-key": "k1" } });
    expect(response.status).toBe(200);
    expect(upstream.received.at(-1)?.method).toBe("PROPFIND");
  });

  it("an operation keyed by an extension method applies to that method only", async () => {
    const purge = await rawRequest(listed.url("/dav/file"), { method: "PURGE", headers: { "x-api-key": "k1" } });
    expect(purge.status).toBe(403);
    expect(purge.json().code).toBe("NO_PURGE");
    const report = await rawRequest(listed.url("/dav/file"), { method: "REPORT", headers: { "x-api-key": "k1" } });
    expect(report.status).toBe(200);
  });

  it("a route that lists methods accepts the extension methods it lists and refuses the others with 405", async () => {
    expect((await rawRequest(listed.url("/reads/x"), { method: "REPORT" })).status).toBe(200);
    const propfind = await rawRequest(listed.url("/reads/x"), { method: "PROPFIND" });
    expect(propfind.status).toBe(405);
    expect(propfind.headers.allow).toBe("GET, REPORT");
  });
});
