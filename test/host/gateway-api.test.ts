import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startGateway } from "../../host/src/index.js";
import { singleRoute, startTestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll, track } from "../support/servers.js";

afterEach(stopAll);

describe("admin endpoints", () => {
  it("serves /healthz, /readyz and a redacted /config; others can add routes", async () => {
    const gateway = await startTestGateway(singleRoute(`{ url: "http://svc:s3cret@127.0.0.1:9", hostRewrite: internal }`, { route: "api" }));
    const admin = gateway.admin!.url;
    expect(admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await rawRequest(`${admin}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await rawRequest(`${admin}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: "ready" });
    const config = (await rawRequest(`${admin}/config`)).body.toString();
    expect(config).not.toContain("s3cret");
    expect(config).toContain("svc:[redacted]@127.0.0.1:9");
    expect(JSON.parse(config)).toMatchObject({ listeners: [{ name: "main", routes: [{ name: "api" }] }] });

    gateway.adminRoutes.set("/plugins", () => ({ status: 200, body: { plugins: [] } }));
    expect((await rawRequest(`${admin}/plugins`)).json()).toEqual({ plugins: [] });
    expect((await rawRequest(`${admin}/nope`)).status).toBe(404);
    expect((await rawRequest(`${admin}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("can be disabled", async () => {
    const gateway = await startTestGateway(`
listeners:
  - { name: main, host: 127.0.0.1, port: 0, routes: [] }
admin: { enabled: false }
`);
    expect(gateway.admin).toBeUndefined();
  });
});

describe("startGateway()", () => {
  it("accepts a config object or a path and reports bound addresses", async () => {
    const gateway = await startGateway({
      listeners: [
        { name: "one", host: "127.0.0.1", port: 0, routes: [{ name: "r", backend: { echo: true } }] },
        { name: "two", host: "127.0.0.1", port: 0, routes: [] },
      ],
      admin: { port: 0 },
      logging: { level: "silent" },
    });
    track(() => gateway.close());
    expect(gateway.listeners.map((l) => l.name)).toEqual(["one", "two"]);
    expect(gateway.listeners[0]!.port).toBeGreaterThan(0);
    expect((await rawRequest(`${gateway.listeners[0]!.url}/x`)).json()).toMatchObject({ path: "/x" });
    expect((await rawRequest(`${gateway.listeners[1]!.url}/x`)).status).toBe(404);
  });

  it("leaves nothing running when one listener cannot bind", async () => {
    const first = await startTestGateway(`
listeners:
  - { name: main, host: 127.0.0.1, port: 0, routes: [] }
admin: { enabled: false }
`);
    const taken = first.listeners[0]!.port;
    const attempt = startGateway({
      listeners: [
        { name: "free", host: "127.0.0.1", port: 0 },
        { name: "taken", host: "127.0.0.1", port: taken },
      ],
      admin: { enabled: false },
      logging: { level: "silent" },
    });
    await expect(attempt).rejects.toMatchObject({ code: "PCS_ERR_LISTEN_FAILED" });
  });

  it("drain(): readyz turns 503, responses close their connection, a request arriving meanwhile gets 503", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const upstream = await startUpstream((req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write(`${req.url} started;`);
      void released.then(() => res.end("finished"));
    });
    const gateway = await startTestGateway(singleRoute(`{ url: "${upstream.url}" }`));
    const busy = connect(gateway.listeners[0]!.port, "127.0.0.1");
    let received = "";
    const headStarted = new Promise<void>((resolve) => busy.on("data", (d) => ((received += d.toString()), resolve())));
    const closed = new Promise((resolve) => busy.on("close", resolve));
    busy.write("GET /first HTTP/1.1\r\nhost: x\r\n\r\n");
    await headStarted;

    const drained = gateway.drain(5_000);
    const ready = await rawRequest(`${gateway.admin!.url}/readyz`).catch((error: Error) => error);
    // The admin server stops accepting too; if it still answered, it must say "draining".
    if (!(ready instanceof Error)) expect(ready.status).toBe(503);
    // A request pipelined on the busy connection after the drain started is refused.
    busy.write("GET /second HTTP/1.1\r\nhost: x\r\n\r\n");
    await new Promise((r) => setTimeout(r, 50));
    release();
    await closed;
    await drained;
    expect(received).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\/first started;[\s\S]*finished/);
    expect(received).toMatch(/HTTP\/1\.1 503 Service Unavailable[\s\S]*[Cc]onnection: close[\s\S]*PCS_ERR_SHUTTING_DOWN/);
    expect(received).not.toContain("/second started");
  });

  it("drain(): a response finishing during the drain tells the client to close", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const upstream = await startUpstream((_req, res) => void released.then(() => res.end("done")));
    const gateway = await startTestGateway(singleRoute(`{ url: "${upstream.url}" }`));
    const pending = rawRequest(gateway.url("/slow"), { headers: { connection: "keep-alive" } });
    await new Promise((r) => setTimeout(r, 50));
    const drained = gateway.drain(5_000);
    release();
    const res = await pending;
    await drained;
    expect(res.body.toString()).toBe("done");
    expect(res.headers.connection).toBe("close");
  });
});
