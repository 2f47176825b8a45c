import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { startUpstream, stopAll } from "../support/servers.js";
import { rawExchange, rawGet, statusOf } from "./raw-http.js";

/**
 * A path a policy writes is canonicalised like a client's (routing/normalize-path.ts) before the next
 * policy, route selection or the backend sees it: a listener policy that writes `/public/../admin`
 * must not be routed as /public (no guard) and reach the backend's /admin.
 */
let gateway: TestGateway;
const seen: string[] = [];

beforeAll(async () => {
  const upstream = await startUpstream((req, res) => {
    seen.push(req.url ?? "");
    res.end(req.url?.startsWith("/admin") ? "admin secrets" : "public");
  });
  gateway = await startTestGateway(`
plugins:
  transform: { path: ${builtPolicy("transform")}, capabilities: { expression: true, regex: true } }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    policies:
      request:
        - plugin: transform
          when: '"x-to" in request.headers'
          with: { request: { path: { expression: 'request.headers["x-to"]' } } }
    routes:
      - name: admin-denied
        match: { path: { prefix: /admin } }
        backend: { directResponse: { status: 403, body: denied by route } }
      - name: rest
        backend: { url: "${upstream.url}" }
`);
}, 60_000);
afterAll(stopAll);

describe("paths written by policies are canonical", () => {
  const cases: Array<[string, string]> = [
    ["dot segments", "/public/../admin"],
    ["encoded dot segments", "/public/%2e%2e/admin"],
    ["an unreserved escape", "/%61dmin"],
    ["a run of slashes", "//admin"],
  ];
  for (const [name, to] of cases) {
    it(`${name}: ${to} is routed as /admin and denied`, async () => {
      const before = seen.length;
      const raw = await rawExchange(Number(new URL(gateway.url("/")).port), rawGet("/public/x", `x-to: ${to}\r\n`));
      expect(statusOf(raw)).toBe(403);
      expect(seen.slice(before)).toEqual([]);
    });
  }

  it("a path no client could send (bad escape, backslash) fails that request with PCS_ERR_POLICY_INVALID_OUTPUT", async () => {
    for (const to of ["/a/%zz", "/a\\..\\admin"]) {
      const raw = await rawExchange(Number(new URL(gateway.url("/")).port), rawGet("/public/x", `x-to: ${to}\r\n`));
      expect(statusOf(raw), to).toBe(500);
      expect(raw).toContain("PCS_ERR_POLICY_INVALID_OUTPUT");
    }
  });

  it("a canonical rewrite still reaches the backend as written", async () => {
    const before = seen.length;
    const raw = await rawExchange(Number(new URL(gateway.url("/")).port), rawGet("/public/x", "x-to: /public/y\r\n"));
    expect(statusOf(raw)).toBe(200);
    expect(seen.slice(before)).toEqual(["/public/y"]);
  });
});
