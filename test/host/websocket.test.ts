import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { startTestGateway } from "../support/gateway.js";
import { deadPort, startUpstream, stopAll, track } from "../support/servers.js";

afterEach(stopAll);

async function wsEchoServer() {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  const handshakes: Array<{ url: string | undefined; headers: Record<string, unknown> }> = [];
  server.on("connection", (socket, req) => {
    handshakes.push({ url: req.url, headers: req.headers });
    socket.on("message", (data, binary) => socket.send(binary ? data : `echo: ${data.toString()}`, { binary }));
  });
  track(() => {
    for (const client of server.clients) client.terminate();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handshakes, server };
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
    socket.once("unexpected-response", (_req, res) => reject(new Error(`unexpected ${res.statusCode}`)));
    track(async () => socket.terminate());
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: string; binary: boolean }> {
  return new Promise((resolve) => socket.once("message", (data, binary) => resolve({ data: data.toString(), binary })));
}

const wsConfig = (url: string) => `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: ws
        match: { path: { prefix: /ws } }
        backend: { url: "${url}" }
      - name: echo
        match: { path: { prefix: /echo } }
        backend: { echo: true }
`;

describe("WebSocket upgrades", () => {
  it("echoes text and binary messages through the gateway", async () => {
    const upstream = await wsEchoServer();
    const gateway = await startTestGateway(wsConfig(upstream.url));
    const socket = await open(gateway.url("/ws/chat?room=1").replace("http", "ws"), { "x-client": "test" });
    const reply = nextMessage(socket);
    socket.send("hello");
    expect(await reply).toEqual({ data: "echo: hello", binary: false });
    const binaryReply = nextMessage(socket);
    socket.send(Buffer.from([1, 2, 3]));
    expect((await binaryReply).binary).toBe(true);
    expect(upstream.handshakes[0]).toMatchObject({ url: "/ws/chat?room=1", headers: { "x-client": "test", "x-forwarded-for": "127.0.0.1" } });
    expect(upstream.handshakes[0]!.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    socket.close();
    await new Promise((resolve) => socket.once("close", resolve));
    await new Promise((r) => setTimeout(r, 50));
    expect(gateway.logs.find((l) => l.msg === "request")).toMatchObject({ route: "ws", status: 101 });
  });

  it("relays an upstream that declines the upgrade", async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(403, { "content-type": "text/plain" });
      res.end("no sockets here");
    });
    const gateway = await startTestGateway(wsConfig(upstream.url));
    await expect(open(gateway.url("/ws").replace("http", "ws"))).rejects.toThrow("unexpected 403");
  });

  it("answers 502 when the upstream is down, 501 on a backend that cannot upgrade, 404 off-route", async () => {
    const gateway = await startTestGateway(wsConfig(`http://127.0.0.1:${await deadPort()}`));
    const base = gateway.url("").replace("http", "ws");
    await expect(open(`${base}/ws`)).rejects.toThrow("unexpected 502");
    await expect(open(`${base}/echo`)).rejects.toThrow("unexpected 501");
    await expect(open(`${base}/elsewhere`)).rejects.toThrow("unexpected 404");
  });
});
