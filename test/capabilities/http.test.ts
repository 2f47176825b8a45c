import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCapabilityServices, type CapabilityServices } from "../../host/src/capabilities/index.js";
import { HostAllowList } from "../../host/src/capabilities/http/host-allow-list.js";
import { startCapabilityWorkers, type CapabilityWorker } from "./support/capability-workers.js";

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("http capability (outbound through the bridge)", () => {
  let server: Server;
  let port: number;
  let closedPort: number;
  let services: CapabilityServices;
  let worker: CapabilityWorker;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        if (req.url === "/slow") return void setTimeout(() => res.end("late"), 3000);
        if (req.url === "/big") return void res.end(Buffer.alloc(2 * 1024 * 1024, 1));
        res.setHeader("x-echo-method", req.method ?? "");
        res.setHeader("set-cookie", ["a=1", "b=2"]);
        res.statusCode = 201;
        res.end(JSON.stringify({ auth: req.headers.authorization, body: Buffer.concat(chunks).toString() }));
      });
    });
    port = await listen(server);
    const closed = createServer();
    closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    services = startCapabilityServices();
    [worker] = (await startCapabilityWorkers(services, 1, {
      grants: { http: { allow: [`127.0.0.1:${port}`, `127.0.0.1:${closedPort}`], maxTimeoutMs: 500, maxResponseBytes: 1024 * 1024 } },
    })) as [CapabilityWorker];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await worker.terminate();
    await services.close();
  });

  const fetch = async (url: string, extra: Record<string, unknown> = {}) => {
    const request = { method: "GET", url, headers: [], body: undefined, timeoutMs: 5000, ...extra };
    const [result] = await worker.run([{ capability: "http", method: "fetch", args: [request] }]);
    return result as { tag: string; val: any };
  };

  it("sends the request and returns status, headers and body", async () => {
    const result = await fetch(`http://127.0.0.1:${port}/ok`, {
      method: "POST",
      headers: [{ name: "authorization", value: "Bearer t" }],
      body: new TextEncoder().encode("hello"),
    });
    expect(result.tag).toBe("ok");
    expect(result.val.status).toBe(201);
    expect(result.val.headers).toContainEqual({ name: "x-echo-method", value: "POST" });
    expect(result.val.headers.filter((h: { name: string }) => h.name === "set-cookie")).toHaveLength(2);
    expect(JSON.parse(Buffer.from(result.val.body).toString())).toEqual({ auth: "Bearer t", body: "hello" });
  });

  it("denies hosts outside the allow-list, including the same server by another name", async () => {
    expect(await fetch(`http://localhost:${port}/ok`)).toMatchObject({ tag: "err", val: { tag: "denied" } });
    expect(await fetch(`http://127.0.0.1:${port + 1}/ok`)).toMatchObject({ tag: "err", val: { tag: "denied" } });
  });

  it("times out at the capped timeout", async () => {
    expect(await fetch(`http://127.0.0.1:${port}/slow`)).toEqual({ tag: "err", val: { tag: "timeout" } });
  });

  it("refuses a response body over the limit", async () => {
    expect(await fetch(`http://127.0.0.1:${port}/big`)).toEqual({ tag: "err", val: { tag: "too-large" } });
  });

  it("maps refused connections and malformed requests to their variants", async () => {
    expect(await fetch(`http://127.0.0.1:${closedPort}/`)).toMatchObject({ tag: "err", val: { tag: "unreachable" } });
    expect(await fetch("not a url")).toMatchObject({ tag: "err", val: { tag: "invalid-request" } });
    expect(await fetch(`ftp://127.0.0.1:${port}/`)).toMatchObject({ tag: "err", val: { tag: "invalid-request" } });
    expect(await fetch(`http://127.0.0.1:${port}/`, { method: "GE T" })).toMatchObject({ tag: "err", val: { tag: "invalid-request" } });
  });
});

describe("host allow-list", () => {
  it("matches exact hosts, ports and wildcard subdomains, denying by default", () => {
    const list = new HostAllowList(["api.example.com", "*.internal.test:8443", "[::1]:9000"]);
    expect(list.allows(new URL("https://api.example.com/x"))).toBe(true);
    expect(list.allows(new URL("http://API.example.com:8080/x"))).toBe(true);
    expect(list.allows(new URL("https://evil-api.example.com/"))).toBe(false);
    expect(list.allows(new URL("https://api.example.com.evil.test/"))).toBe(false);
    expect(list.allows(new URL("https://a.b.internal.test:8443/"))).toBe(true);
    expect(list.allows(new URL("https://internal.test:8443/"))).toBe(false);
    expect(list.allows(new URL("https://a.internal.test/"))).toBe(false);
    expect(list.allows(new URL("http://[::1]:9000/"))).toBe(true);
    expect(new HostAllowList([]).allows(new URL("http://127.0.0.1/"))).toBe(false);
    expect(() => new HostAllowList(["http://bad/"])).toThrow(/invalid allow-list entry/);
  });
});
