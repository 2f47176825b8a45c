import Fastify, { type FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { stopAll, track } from "../support/servers.js";
import { rawExchange, rawGet, statusOf } from "./raw-http.js";

/**
 * Issue 12: `/%61dmin`, `//admin` and dot segments got past a route deny and an authorize rule on
 * request.path and reached a real backend's /admin handler. The gateway canonicalises the path once
 * (routing/normalize-path.ts), so what routes, policies and the backend see is the same string.
 * The backend is fastify, which decodes paths its own way.
 */
let gateway: TestGateway;
let backend: FastifyInstance;
const adminHits: string[] = [];
const seen: string[] = [];

beforeAll(async () => {
  backend = Fastify();
  backend.addHook("onRequest", async (req) => void seen.push(req.raw.url ?? ""));
  backend.get("/admin", async (req) => (adminHits.push(req.raw.url ?? ""), "admin secrets"));
  backend.get("/admin/*", async (req) => (adminHits.push(req.raw.url ?? ""), "admin secrets"));
  backend.get("/*", async () => "public");
  await backend.listen({ port: 0, host: "127.0.0.1" });
  track(() => backend.close());
  const url = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  gateway = await startTestGateway(`
plugins:
  authorize: { path: ${builtPolicy("authorize")}, capabilities: { expression: true } }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: admin-denied
        match: { path: { prefix: /admin } }
        backend: { directResponse: { status: 403, body: denied by route } }
      - name: rest
        policies:
          request:
            - plugin: authorize
              with: { default: allow, rules: [ { effect: deny, code: ADMIN_PATH, when: 'request.path.contains("admin")' } ] }
        backend: { url: ${url} }
`);
});

afterAll(stopAll);

const port = () => gateway.listeners[0]!.port;
const get = (target: string) => rawExchange(port(), rawGet(target));

/** Sends `target` and checks that the backend's /admin handler did not answer it. */
async function getCountingAdminHits(target: string): Promise<string> {
  const before = adminHits.length;
  const raw = await get(target);
  expect(adminHits.slice(before)).toEqual([]);
  return raw;
}

describe("path confusion never reaches the backend's /admin handler", () => {
  it.each([
    "/%61dmin",
    "/%61DMIN/..//admin",
    "//admin",
    "///admin/secrets",
    "/public/../admin",
    "/public/%2e%2e/admin",
    "/public/%2E%2E/admin/secrets",
    "/public/.%2e/admin",
    "/./admin",
  ])("%s is answered by the route's deny", async (target) => {
    const raw = await getCountingAdminHits(target);
    expect(statusOf(raw)).toBe(403);
    expect(raw).toContain("denied by route");
  });

  it.each([
    ["/x#frag", "fragment"],
    ["/public?x=1#frag", "fragment"],
    ["/public/..%2fadmin", "encoded slash"],
    ["/public/..%2Fadmin", "encoded slash"],
    ["/public/..%5cadmin", "encoded slash"],
    ["/public\\..\\admin", "backslash"],
    ["/public/%C0%AF", "not UTF-8"],
    ["/public/%C0%AE%C0%AE/admin", "not UTF-8"],
    ["/public/%zz", "invalid percent-escape"],
    ["/public/%4", "invalid percent-escape"],
  ])("%s is refused with 400 PCS_ERR_BAD_PATH (%s)", async (target, reason) => {
    const raw = await getCountingAdminHits(target);
    expect(statusOf(raw)).toBe(400);
    expect(raw).toContain("PCS_ERR_BAD_PATH");
    expect(raw).toContain(reason);
  });
});

describe("the backend gets the canonical path, byte for byte", () => {
  it.each([
    ["/pub%6Cic/%7euser", "/public/~user"],
    ["/public/caf%c3%a9", "/public/caf%C3%A9"],
    ["/public/a%20b?q=%2f", "/public/a%20b?q=%2f"],
    ["/public//x/./y/", "/public/x/y/"],
    ["http://gateway.test/public/%61bc?k=v", "/public/abc?k=v"],
  ])("%s arrives as %s", async (target, expected) => {
    const raw = await get(target);
    expect(statusOf(raw)).toBe(200);
    expect(seen.at(-1)).toBe(expected);
  });

  it("an authorize rule on request.path sees the same path the backend would have got", async () => {
    // The route deny is on the prefix /admin; /public/%61dmin is not under it, so only authorize stands.
    const raw = await get("/public/%61dmin");
    expect(statusOf(raw)).toBe(403);
    expect(raw).toContain("ADMIN_PATH");
  });
});
