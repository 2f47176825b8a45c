import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll, track } from "../support/servers.js";
import { plugin } from "./support/policies.js";

afterEach(stopAll);

describe("bodies", () => {
  it("hands the body to a policy that needs it and forwards the changed body with a right Content-Length", async () => {
    const upstream = await startUpstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.setHeader("x-received-length", req.headers["content-length"] ?? "none");
        res.end(`upstream saw: ${Buffer.concat(chunks).toString()}`);
      });
    });
    const gateway = await startTestGateway(`
plugins:
${plugin("shout")}
${routesYaml(`
      - name: shout
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: shout } ], response: [ { plugin: shout } ] }
        backend: { url: ${upstream.url} }`)}
`);
    const response = await rawRequest(gateway.url("/"), { method: "POST", body: "héllo wörld" });
    expect(response.status).toBe(200);
    expect(response.headers["x-received-length"]).toBe(String(Buffer.byteLength("HÉLLO WÖRLD")));
    expect(response.body.toString()).toBe("UPSTREAM SAW: HÉLLO WÖRLD");
    expect(response.headers["content-length"]).toBe(String(Buffer.byteLength("UPSTREAM SAW: HÉLLO WÖRLD")));
  });

  it("answers 413 when a policy needs a body larger than the buffering limit", async () => {
    const gateway = await startTestGateway(`
plugins:
${plugin("shout")}
runtime: { maxBodyBytes: 1024 }
${routesYaml(`
      - name: shout
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: shout } ] }
        backend: { echo: true }`)}
`);
    const response = await rawRequest(gateway.url("/"), { method: "POST", body: Buffer.alloc(4096, 97) });
    expect(response.status).toBe(413);
    expect(response.json()).toMatchObject({ code: "PCS_ERR_BODY_TOO_LARGE" });
  });
});

describe("direct responses", () => {
  const config = (status: number, faultPolicies: string) => `
plugins:
${plugin("respond")}
${plugin("tag")}
${plugin("fault-json")}
${routesYaml(`
      - name: answered
        match: { path: { prefix: / } }
        policies:
          request: [ { plugin: respond, with: { status: ${status}, body: "from policy" } }, { plugin: tag, with: { label: never } } ]
          response: [ { plugin: tag, with: { label: cors-like } } ]
          fault: [${faultPolicies}]
        backend: { url: "http://127.0.0.1:9" }`)}
`;

  it("skips the upstream and the rest of the chain, and still runs the response flow", async () => {
    const gateway = await startTestGateway(config(200, ""));
    const response = await rawRequest(gateway.url("/"));
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe("from policy");
    expect(response.headers["x-responder"]).toBe("respond");
    expect(response.headers["x-response-order"]).toBe("cors-like");
  });

  it("treats a rejection (>= 400) as a fault the fault flow can reshape, and the response flow still reaches it", async () => {
    const gateway = await startTestGateway(config(401, " { plugin: fault-json } "));
    const response = await rawRequest(gateway.url("/"));
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({ shaped: true, code: "PCS_ERR_POLICY_REJECTED", status: 401, policy: "respond" });
    expect(response.headers["x-response-order"]).toBe("cors-like");
  });
});

describe("WebSocket handshakes", () => {
  it("runs the request flow on the handshake: a policy can reject the upgrade or change its headers", async () => {
    const upstream = await startUpstream((_req, res) => res.end());
    const wss = new WebSocketServer({ server: upstream.server });
    wss.on("connection", (socket, req) => socket.send(`hello ${req.headers["x-order"] ?? "nobody"}`));
    track(async () => wss.close());
    const gateway = await startTestGateway(`
plugins:
${plugin("tag")}
${plugin("respond")}
${routesYaml(`
      - name: closed
        match: { path: { prefix: /closed } }
        policies: { request: [ { plugin: respond, with: { status: 403, body: no } } ] }
        backend: { url: ${upstream.url} }
      - name: open
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: tag, with: { label: handshake } } ] }
        backend: { url: ${upstream.url} }`)}
`);
    const wsUrl = gateway.url("/").replace("http", "ws");
    const greeting = await new Promise<string>((resolve, reject) => {
      const client = new WebSocket(wsUrl);
      client.once("message", (data) => {
        resolve(String(data));
        client.close();
      });
      client.once("error", reject);
    });
    expect(greeting).toBe("hello handshake");

    const rejected = await new Promise<number>((resolve, reject) => {
      const client = new WebSocket(`${wsUrl}closed`);
      client.once("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      client.once("open", () => reject(new Error("upgrade should have been refused")));
      client.once("error", () => undefined);
    });
    expect(rejected).toBe(403);
  });
});

describe("fault triggers", () => {
  it("runs the fault flow on an upstream 5xx where the backend asks for it, and on an upstream timeout", async () => {
    const upstream = await startUpstream((req, res) => {
      if (req.url === "/slow") setTimeout(() => res.end("late"), 2_000).unref();
      else {
        res.statusCode = 503;
        res.end("upstream is sad");
      }
    });
    const gateway = await startTestGateway(`
plugins:
${plugin("fault-json")}
listeners:
  - name: test
    host: 127.0.0.1
    port: 0
    policies: { fault: [ { plugin: fault-json } ] }
    routes:
      - name: strict
        match: { path: { prefix: /strict } }
        backend: { url: ${upstream.url}, faultOn5xx: true, pathPrefixRewrite: / }
      - name: slow
        match: { path: { prefix: /slow } }
        backend: { url: ${upstream.url}, timeouts: { headersMs: 200 } }
      - name: lenient
        match: { path: { prefix: / } }
        backend: { url: ${upstream.url} }
`);
    const strict = await rawRequest(gateway.url("/strict"));
    expect(strict.status).toBe(502);
    expect(strict.json()).toEqual({ shaped: true, code: "PCS_ERR_UPSTREAM_ERROR", status: 502, policy: null });

    const slow = await rawRequest(gateway.url("/slow"));
    expect(slow.status).toBe(504);
    expect(slow.json()).toMatchObject({ shaped: true, code: "PCS_ERR_UPSTREAM_TIMEOUT" });

    const lenient = await rawRequest(gateway.url("/other"));
    expect(lenient.status).toBe(503);
    expect(lenient.body.toString()).toBe("upstream is sad");
  });
});

describe("a failing fault policy", () => {
  it("leaves the default error in place, without running the fault flow again", async () => {
    const gateway = await startTestGateway(`
plugins:
${plugin("misbehave")}
${plugin("fault-json")}
${routesYaml(`
      - name: broken-fault
        match: { path: { prefix: / } }
        policies: { fault: [ { plugin: misbehave }, { plugin: fault-json } ] }
        backend: { url: "http://127.0.0.1:9" }`)}
`);
    const response = await rawRequest(gateway.url("/"));
    expect(response.status).toBe(502);
    const body = response.json<Record<string, unknown>>();
    expect(body.code).toBe("PCS_ERR_UPSTREAM_UNREACHABLE");
    expect(body.shaped).toBeUndefined();
    const plugins = (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/plugins`)).json<Record<string, any>>();
    expect(plugins.misbehave.failures.PCS_ERR_POLICY_TRAPPED).toBe(1);
    expect(plugins["fault-json"].calls).toBe(0);
  });
});

describe("responses the gateway makes itself", () => {
  it("runs the response flow on echo and directResponse backends too", async () => {
    const gateway = await startTestGateway(`
plugins:
${plugin("tag")}
listeners:
  - name: test
    host: 127.0.0.1
    port: 0
    policies: { response: [ { plugin: tag, with: { label: seen } } ] }
    routes:
      - name: direct
        match: { path: { exact: /maintenance } }
        backend: { directResponse: { status: 503, body: "down for maintenance" } }
      - name: echo
        match: { path: { prefix: / } }
        backend: { echo: true }
`);
    const echoed = await rawRequest(gateway.url("/anything"));
    expect(echoed.status).toBe(200);
    expect(echoed.headers["x-response-order"]).toBe("seen");
    const direct = await rawRequest(gateway.url("/maintenance"));
    expect(direct.status).toBe(503);
    expect(direct.body.toString()).toBe("down for maintenance");
    expect(direct.headers["x-response-order"]).toBe("seen");
  });
});
