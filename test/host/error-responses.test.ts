import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, singleRoute, startTestGateway } from "../support/gateway.js";
import { deadPort, rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

type ErrorBody = { code: string; status: number; requestId: string; message: string };

function expectError(res: { status: number; headers: Record<string, unknown>; json<T>(): T }, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = res.json<ErrorBody>();
  expect(body).toMatchObject({ code, status });
  expect(body.requestId).toBe(res.headers["x-request-id"]);
  expect(res.headers["content-type"]).toBe("application/json");
}

/** Sends raw bytes on a fresh connection and collects everything until the server closes it. */
function rawExchange(port: number, write: (socket: ReturnType<typeof connect>) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => write(socket));
    let data = "";
    socket.on("data", (chunk) => (data += chunk.toString("latin1")));
    socket.on("close", () => resolve(data));
    socket.on("error", reject);
  });
}

const echoListener = (limits = "") => `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    limits: { maxBodyBytes: 1000, maxHeaderBytes: 2048 ${limits} }
    routes:
      - name: users
        match: { path: { regex: "/users/(?<id>[0-9]+)" }, methods: [GET, PUT] }
        backend: { echo: true }
      - name: small
        match: { path: { prefix: /small } }
        maxBodyBytes: 10
        backend: { echo: true }
`;

describe("gateway errors are JSON responses with a stable code", () => {
  it("404 when no route matches", async () => {
    const gateway = await startTestGateway(echoListener());
    expectError(await rawRequest(gateway.url("/nothing")), 404, "PCS_ERR_ROUTE_NOT_FOUND");
  });

  it("405 with Allow when only the method does not match", async () => {
    const gateway = await startTestGateway(echoListener());
    const res = await rawRequest(gateway.url("/users/12"), { method: "DELETE" });
    expectError(res, 405, "PCS_ERR_METHOD_NOT_ALLOWED");
    expect(res.headers.allow).toBe("GET, PUT");
    const ok = await rawRequest(gateway.url("/users/12"));
    expect(ok.json()).toMatchObject({ params: { id: "12" }, route: "users" });
  });

  it("431 when the request headers are too large", async () => {
    const gateway = await startTestGateway(echoListener());
    const res = await rawRequest(gateway.url("/users/1"), { headers: { "x-big": "a".repeat(4096) } });
    expectError(res, 431, "PCS_ERR_HEADERS_TOO_LARGE");
  });

  it("413 for a declared body over the limit, before reading it", async () => {
    const gateway = await startTestGateway(echoListener());
    const res = await rawRequest(gateway.url("/users/1"), { method: "PUT", body: Buffer.alloc(1001) });
    expectError(res, 413, "PCS_ERR_BODY_TOO_LARGE");
    expect(res.headers.connection).toBe("close");
    const routeLimit = await rawRequest(gateway.url("/small"), { method: "POST", body: "12345678901" });
    expectError(routeLimit, 413, "PCS_ERR_BODY_TOO_LARGE");
  });

  it("413 for a chunked body that grows past the limit on its way upstream", async () => {
    let upstreamAborted = false;
    const upstream = await startUpstream((req, res) => {
      req.on("data", () => undefined);
      req.on("error", () => (upstreamAborted = true));
      req.on("close", () => (upstreamAborted ||= !req.complete));
      req.on("end", () => res.end("read it all"));
    });
    const gateway = await startTestGateway(singleRoute(`{ url: "${upstream.url}" }`, { listener: `limits: { maxBodyBytes: 100000 }` }));
    async function* body() {
      for (let i = 0; i < 20; i++) yield Buffer.alloc(10_000, 1);
    }
    const res = await rawRequest(gateway.url("/"), { method: "POST", body: body() }).catch((error: Error) => error);
    // The gateway closes the connection after answering: a client still writing may see a reset instead.
    if (!(res instanceof Error)) expectError(res, 413, "PCS_ERR_BODY_TOO_LARGE");
    await new Promise((r) => setTimeout(r, 100));
    expect(upstreamAborted).toBe(true);
    expect(gateway.logs.find((l) => l.msg === "request")).toMatchObject({ error: "PCS_ERR_BODY_TOO_LARGE" });
  });

  it("408 when the client is too slow to send headers", async () => {
    const gateway = await startTestGateway(echoListener(", headersTimeoutMs: 200, requestTimeoutMs: 400"));
    const port = gateway.listeners[0]!.port;
    const reply = await rawExchange(port, (socket) => socket.write("GET /users/1 HTTP/1.1\r\nhost: x\r\n"));
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply).toContain('"code":"PCS_ERR_REQUEST_TIMEOUT"');
  });

  it("408 when the client is too slow to send the body, and the upstream call is aborted", async () => {
    let upstreamSawAbort = false;
    const upstream = await startUpstream((req, res) => {
      req.on("data", () => undefined);
      req.on("close", () => (upstreamSawAbort = !req.complete));
      req.on("end", () => res.end("done"));
    });
    const gateway = await startTestGateway(singleRoute(`{ url: "${upstream.url}" }`, { listener: `limits: { headersTimeoutMs: 200, requestTimeoutMs: 400 }` }));
    const reply = await rawExchange(gateway.listeners[0]!.port, (socket) =>
      socket.write("POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nonly a part"),
    );
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply).toContain('"code":"PCS_ERR_REQUEST_TIMEOUT"');
    await new Promise((r) => setTimeout(r, 100));
    expect(upstreamSawAbort).toBe(true);
  });

  it("400 for a request that is not HTTP", async () => {
    const gateway = await startTestGateway(echoListener());
    const reply = await rawExchange(gateway.listeners[0]!.port, (socket) => socket.write("NOT HTTP AT ALL\r\n\r\n"));
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('"code":"PCS_ERR_BAD_REQUEST"');
  });
});

describe("upstream failures", () => {
  it("502 when the upstream refuses connections", async () => {
    const port = await deadPort();
    const gateway = await startTestGateway(singleRoute(`{ url: "http://127.0.0.1:${port}" }`, { route: "dead" }));
    expectError(await rawRequest(gateway.url("/")), 502, "PCS_ERR_UPSTREAM_UNREACHABLE");
  });

  it("502 when the upstream drops the connection before answering", async () => {
    const upstream = await startUpstream((req) => req.socket.destroy());
    const gateway = await startTestGateway(singleRoute(`{ url: "${upstream.url}" }`, { route: "rude" }));
    expectError(await rawRequest(gateway.url("/")), 502, "PCS_ERR_UPSTREAM_RESET");
  });

  it("504 when the upstream is slower than headersMs or totalMs; a reset when its body stalls past bodyMs", async () => {
    const upstream = await startUpstream((req, res) => {
      if (req.url === "/stall") res.writeHead(200, { "content-length": "100" }).write("first bytes");
      setTimeout(() => res.end("too late"), 2_000).unref();
    });
    const gateway = await startTestGateway(
      routesYaml(`
      - name: headers
        match: { path: { exact: /headers } }
        backend: { url: "${upstream.url}", timeouts: { headersMs: 200 } }
      - name: total
        match: { path: { exact: /total } }
        backend: { url: "${upstream.url}", timeouts: { totalMs: 200 } }
      - name: stall
        match: { path: { exact: /stall } }
        backend: { url: "${upstream.url}", timeouts: { bodyMs: 200 } }
`),
    );
    expectError(await rawRequest(gateway.url("/headers")), 504, "PCS_ERR_UPSTREAM_TIMEOUT");
    expectError(await rawRequest(gateway.url("/total")), 504, "PCS_ERR_UPSTREAM_TIMEOUT");
    await expect(rawRequest(gateway.url("/stall"))).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(gateway.logs.find((l) => l.route === "stall")).toMatchObject({ status: 200, error: "PCS_ERR_UPSTREAM_TIMEOUT" });
  });

  it("resets the client connection when the upstream fails mid-response", async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("partial");
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const gateway = await startTestGateway(singleRoute(`{ url: "${upstream.url}" }`, { route: "broken" }));
    await expect(rawRequest(gateway.url("/"))).rejects.toThrow();
  });

  it("a client that disconnects aborts the upstream request", async () => {
    let upstreamClosed: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    let requestArrived: () => void;
    const arrived = new Promise<void>((resolve) => (requestArrived = resolve));
    const upstream = await startUpstream((_req, res) => {
      requestArrived();
      res.on("close", () => upstreamClosed());
    });
    const gateway = await startTestGateway(singleRoute(`{ url: "${upstream.url}" }`, { route: "hang" }));
    const socket = connect(gateway.listeners[0]!.port, "127.0.0.1", () => socket.write("GET /hang HTTP/1.1\r\nhost: x\r\n\r\n"));
    await arrived;
    socket.destroy();
    await closed;
    await new Promise((r) => setTimeout(r, 50));
    expect(gateway.logs.find((l) => l.msg === "request")).toMatchObject({ aborted: true, route: "hang" });
  });
});
