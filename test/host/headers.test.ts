import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

/** Upstream answering with the raw headers it received, and sending hop-by-hop headers back. */
async function headerUpstream() {
  return startUpstream((req, res) => {
    res.setHeader("x-upstream", "yes");
    res.setHeader("keep-alive", "timeout=99");
    res.setHeader("connection", "x-secret-hop");
    res.setHeader("x-secret-hop", "leak");
    res.setHeader("proxy-authenticate", "Basic");
    res.setHeader("set-cookie", ["a=1", "b=2"]);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ url: req.url, headers: req.headers, raw: req.rawHeaders }));
  });
}

function config(url: string, { trusted = "[]", backendExtra = "", match = "" } = {}) {
  return `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    trustedProxies: ${trusted}
    routes:
      - name: api
        match: { path: { prefix: /api } ${match} }
        backend: { url: "${url}", ${backendExtra} }
`;
}

type Seen = { url: string; headers: Record<string, string>; raw: string[] };

describe("header handling", () => {
  it("removes hop-by-hop headers, including those named in Connection, in both directions", async () => {
    const upstream = await headerUpstream();
    const gateway = await startTestGateway(config(upstream.url));
    const res = await rawRequest(gateway.url("/api/x"), {
      headers: {
        connection: "keep-alive, x-client-hop",
        "x-client-hop": "drop me",
        "keep-alive": "timeout=5",
        te: "trailers",
        "proxy-authorization": "Basic abc",
        "x-end-to-end": "keep me",
      },
    });
    const seen = res.json<Seen>().headers;
    expect(seen["x-end-to-end"]).toBe("keep me");
    for (const name of ["x-client-hop", "te", "proxy-authorization"]) expect(seen).not.toHaveProperty(name);
    expect(seen["keep-alive"]).toBeUndefined();
    expect(res.headers["x-upstream"]).toBe("yes");
    expect(res.headers["x-secret-hop"]).toBeUndefined();
    expect(res.headers["proxy-authenticate"]).toBeUndefined();
    expect(res.headers["keep-alive"]).not.toBe("timeout=99");
    expect(res.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
  });

  it("keeps repeated request headers and their order", async () => {
    const upstream = await headerUpstream();
    const gateway = await startTestGateway(config(upstream.url));
    const res = await rawRequest(gateway.url("/api"), { headers: ["X-Multi", "one", "X-Multi", "two", "Host", "example.test"] });
    const raw = res.json<Seen>().raw;
    const multi = raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === "x-multi" ? [raw[i + 1]] : []));
    expect(multi).toEqual(["one", "two"]);
  });

  it("sets X-Forwarded-* and replaces client-sent values from an untrusted peer", async () => {
    const upstream = await headerUpstream();
    const gateway = await startTestGateway(config(upstream.url));
    const res = await rawRequest(gateway.url("/api"), {
      headers: { host: "shop.example", "x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https", "x-request-id": "spoofed" },
    });
    const seen = res.json<Seen>().headers;
    expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-host"]).toBe("shop.example");
    expect(seen.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(seen["x-request-id"]).not.toBe("spoofed");
    expect(seen["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers["x-request-id"]).toBe(seen["x-request-id"]);
  });

  it("appends to X-Forwarded-For and keeps x-request-id from a trusted proxy", async () => {
    const upstream = await headerUpstream();
    const gateway = await startTestGateway(config(upstream.url, { trusted: '["127.0.0.0/8"]' }));
    const res = await rawRequest(gateway.url("/api"), {
      headers: { "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https", "x-forwarded-host": "public.example", "x-request-id": "req-42" },
    });
    const seen = res.json<Seen>().headers;
    expect(seen["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("https");
    expect(seen["x-forwarded-host"]).toBe("public.example");
    expect(seen["x-request-id"]).toBe("req-42");
    expect(res.headers["x-request-id"]).toBe("req-42");
    const line = gateway.logs.find((l) => l.msg === "request");
    expect(line).toMatchObject({ reqId: "req-42", listener: "main", route: "api", method: "GET", path: "/api", status: 200 });
    expect(line?.upstreamMs).toBeGreaterThanOrEqual(0);
  });

  it("rewrites the Host header and the path prefix", async () => {
    const upstream = await headerUpstream();
    const gateway = await startTestGateway(config(`${upstream.url}/base`, { backendExtra: 'hostRewrite: internal.svc, pathPrefixRewrite: "/v2"' }));
    const res = await rawRequest(gateway.url("/api/users/7?q=1"));
    const seen = res.json<Seen>();
    expect(seen.url).toBe("/base/v2/users/7?q=1");
    expect(seen.headers.host).toBe("internal.svc");
  });

  it("preserves the client's Host header when asked", async () => {
    const upstream = await headerUpstream();
    const gateway = await startTestGateway(config(upstream.url, { backendExtra: "preserveHost: true" }));
    const res = await rawRequest(gateway.url("/api"), { headers: { host: "client.example:8443" } });
    expect(res.json<Seen>().headers.host).toBe("client.example:8443");
  });
});
