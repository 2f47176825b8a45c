import { afterEach, describe, expect, it } from "vitest";
import { parseConfigText } from "../../host/src/index.js";
import { compileRouteTable } from "../../host/src/routing/route-table.js";
import { selectRoute, type RouteRequest } from "../../host/src/routing/select-route.js";
import { routesYaml, singleRoute, startTestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

const table = compileRouteTable(
  parseConfigText(`
listeners:
  - name: main
    port: 0
    routes:
      - name: exact
        match: { path: { exact: /health } }
        backend: { echo: true }
      - name: user
        match: { path: { regex: "/users/(?<id>[0-9]+)/posts/(?<post>[a-z]+)" } }
        backend: { echo: true }
      - name: api-v2-beta
        match:
          path: { prefix: /api }
          headers: [{ name: X-Version, exact: "2" }, { name: x-beta }]
          query: [{ name: debug, regex: "^(1|true)$" }]
        backend: { echo: true }
      - name: api-host
        match: { path: { prefix: /api }, hosts: ["*.example.com", api.test] }
        backend: { echo: true }
      - name: api-write
        match: { path: { prefix: /api/ }, methods: [POST, PUT] }
        backend: { echo: true }
      - name: admin-only-get
        match: { path: { prefix: /admin }, methods: [GET], headers: [{ name: x-internal, present: false }] }
        backend: { echo: true }
`).config.listeners[0]!,
);

function select(path: string, extra: Partial<RouteRequest> = {}) {
  const [pathOnly, query = ""] = path.split("?");
  return selectRoute(table, { method: "GET", host: "localhost", path: pathOnly!, query, rawHeaders: [], ...extra });
}

function routeName(path: string, extra: Partial<RouteRequest> = {}) {
  const selection = select(path, extra);
  return selection.kind === "matched" ? selection.route.name : selection.kind;
}

describe("route selection (pure)", () => {
  it("matches exact paths only exactly", () => {
    expect(routeName("/health")).toBe("exact");
    expect(routeName("/health/")).toBe("not-found");
  });

  it("extracts named regex parameters and anchors the regex", () => {
    const selection = select("/users/42/posts/hello");
    expect(selection).toMatchObject({ kind: "matched", params: { id: "42", post: "hello" } });
    expect(routeName("/x/users/42/posts/hello")).toBe("not-found");
  });

  it("matches prefixes on whole segments", () => {
    expect(routeName("/api/thing", { host: "a.example.com:8080" })).toBe("api-host");
    expect(routeName("/api", { host: "api.test" })).toBe("api-host");
    expect(routeName("/apix", { host: "api.test" })).toBe("not-found");
  });

  it("matches hosts exactly or by wildcard suffix, ignoring case and port", () => {
    expect(routeName("/api", { host: "API.TEST:443" })).toBe("api-host");
    expect(routeName("/api", { host: "example.com" })).toBe("not-found");
    expect(routeName("/api", { host: "deep.a.example.com" })).toBe("api-host");
  });

  it("requires every header and query matcher", () => {
    const rawHeaders = ["x-version", "2", "X-Beta", ""];
    expect(routeName("/api/x?debug=true", { rawHeaders })).toBe("api-v2-beta");
    expect(routeName("/api/x?debug=no", { rawHeaders, host: "api.test" })).toBe("api-host");
    expect(routeName("/api/x?debug=1", { rawHeaders: ["X-Version", "2"], host: "api.test" })).toBe("api-host");
  });

  it("matches header absence", () => {
    expect(routeName("/admin")).toBe("admin-only-get");
    expect(routeName("/admin", { rawHeaders: ["X-Internal", "1"] })).toBe("not-found");
  });

  it("reports method-not-allowed with the methods of the routes that matched otherwise", () => {
    expect(routeName("/api/x", { method: "POST" })).toBe("api-write");
    expect(select("/api/x", { method: "DELETE" })).toEqual({ kind: "method-not-allowed", allow: ["POST", "PUT"] });
    expect(select("/admin", { method: "POST" })).toEqual({ kind: "method-not-allowed", allow: ["GET"] });
  });

  it("picks the first matching route in the order written", () => {
    expect(routeName("/api/x", { method: "POST", host: "api.test" })).toBe("api-host");
  });
});

describe("backends", () => {
  it("round-robins across targets", async () => {
    const upstreams = await Promise.all(["a", "b", "c"].map((id) => startUpstream((_req, res) => res.end(id))));
    const targets = upstreams.map((u) => `{ url: "${u.url}" }`).join(", ");
    const gateway = await startTestGateway(singleRoute(`{ targets: [${targets}] }`, { route: "rr" }));
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push((await rawRequest(gateway.url("/"))).body.toString());
    expect(answers).toEqual(["a", "b", "c", "a", "b", "c"]);
  });

  it("uses the operation's backend for its method", async () => {
    const writer = await startUpstream((req, res) => res.end(`writer got ${req.method}`));
    const gateway = await startTestGateway(
      routesYaml(`
      - name: items
        match: { path: { prefix: /items } }
        operations:
          POST: { backend: { url: "${writer.url}" } }
        backend: { directResponse: { status: 200, body: reader } }
`),
    );
    expect((await rawRequest(gateway.url("/items"))).body.toString()).toBe("reader");
    expect((await rawRequest(gateway.url("/items"), { method: "POST", body: "x" })).body.toString()).toBe("writer got POST");
  });

  it("serves a direct response with its status, headers and body", async () => {
    const gateway = await startTestGateway(
      singleRoute(`{ directResponse: { status: 418, headers: { x-kind: teapot }, body: "short and stout" } }`, { route: "teapot" }),
    );
    const res = await rawRequest(gateway.url("/anything"));
    expect(res.status).toBe(418);
    expect(res.headers["x-kind"]).toBe("teapot");
    expect(res.body.toString()).toBe("short and stout");
  });

  it("echo answers with method, path, query, headers and body", async () => {
    const gateway = await startTestGateway(singleRoute(`{ echo: true }`, { route: "echo" }));
    const res = await rawRequest(gateway.url("/echo/me?a=1&a=2&b="), { method: "PATCH", body: "héllo", headers: { "X-Test": "yes" } });
    expect(res.json()).toMatchObject({
      method: "PATCH",
      path: "/echo/me",
      query: { a: ["1", "2"], b: "" },
      headers: { "x-test": "yes" },
      body: "héllo",
    });
  });
});

describe("path normalization", () => {
  it("resolves dot segments (plain and percent-encoded) before routing and forwarding", async () => {
    const upstream = await startUpstream((req, res) => res.end(req.url));
    const gateway = await startTestGateway(
      routesYaml(`
      - name: public
        match: { path: { prefix: /public } }
        backend: { directResponse: { status: 200, body: public } }
      - name: admin
        match: { path: { prefix: /admin } }
        backend: { url: "${upstream.url}" }
`),
    );
    for (const path of ["/public/../admin/users", "/public/%2e%2E/admin/users", "/admin/./users"]) {
      const res = await rawRequest(gateway.url(path));
      expect(res.body.toString(), path).toBe("/admin/users");
    }
    expect((await rawRequest(gateway.url("/public/x/../y"))).body.toString()).toBe("public");
  });
});
