import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

const MB = 1024 * 1024;

/** Upstream that answers with what it received: method, path, length and sha256 of the body. */
async function digestUpstream() {
  return startUpstream((req, res) => {
    const hash = createHash("sha256");
    let length = 0;
    req.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ method: req.method, url: req.url, length, sha256: hash.digest("hex"), te: req.headers["transfer-encoding"] ?? null }));
    });
  });
}

function proxyTo(url: string, extra = "") {
  return `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    limits: { maxBodyBytes: 104857600 }
    routes:
      - name: all
        backend: { url: "${url}" }
${extra}`;
}

async function* chunksOf(data: Buffer, size: number): AsyncIterable<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("proxying request bodies", () => {
  for (const method of ["POST", "PUT"]) {
    for (const size of [0, 1, 64 * 1024, 3 * MB]) {
      it(`${method} ${size} bytes with content-length arrives intact`, async () => {
        const upstream = await digestUpstream();
        const gateway = await startTestGateway(proxyTo(upstream.url));
        const body = randomBytes(size);
        const res = await rawRequest(gateway.url("/upload?x=1"), { method, body, headers: { "content-length": String(size) } });
        expect(res.status).toBe(200);
        expect(res.json()).toMatchObject({ method, url: "/upload?x=1", length: size, sha256: sha256(body) });
      });
    }
    it(`${method} chunked body (no content-length) is streamed upstream chunked`, async () => {
      const upstream = await digestUpstream();
      const gateway = await startTestGateway(proxyTo(upstream.url));
      const body = randomBytes(MB + 17);
      const res = await rawRequest(gateway.url("/chunked"), { method, body: chunksOf(body, 16 * 1024) });
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ length: body.length, sha256: sha256(body), te: "chunked" });
    });
  }

  it("GET without a body sends none upstream", async () => {
    const upstream = await digestUpstream();
    const gateway = await startTestGateway(proxyTo(upstream.url));
    const res = await rawRequest(gateway.url("/a/b?c=d&c=e"));
    expect(res.json()).toMatchObject({ method: "GET", url: "/a/b?c=d&c=e", length: 0, te: null });
  });
});

describe("proxying response bodies", () => {
  for (const size of [0, 10, 200 * 1024, 5 * MB]) {
    it(`GET of ${size} bytes, with and without content-length`, async () => {
      const payload = randomBytes(size);
      const upstream = await startUpstream((req, res) => {
        if (req.url === "/fixed") res.setHeader("content-length", size);
        res.end(payload);
      });
      const gateway = await startTestGateway(proxyTo(upstream.url));
      for (const path of ["/fixed", "/chunked"]) {
        const res = await rawRequest(gateway.url(path));
        expect(res.status).toBe(200);
        expect(sha256(res.body)).toBe(sha256(payload));
      }
      const logged = gateway.logs.filter((l) => l.msg === "request");
      expect(logged.map((l) => l.bytes)).toEqual([size, size]);
    });
  }
});

describe("responses without a body", () => {
  it("HEAD keeps the upstream's content-length and sends no body; 204 and 304 pass through", async () => {
    const upstream = await startUpstream((req, res) => {
      if (req.url === "/empty") res.writeHead(204).end();
      else if (req.url === "/cached") res.writeHead(304, { etag: '"v1"' }).end();
      else res.writeHead(200, { "content-length": "11", "content-type": "text/plain" }).end(req.method === "HEAD" ? undefined : "hello world");
    });
    const gateway = await startTestGateway(proxyTo(upstream.url));
    const head = await rawRequest(gateway.url("/doc"), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("11");
    expect(head.body.length).toBe(0);
    expect((await rawRequest(gateway.url("/empty"))).status).toBe(204);
    const cached = await rawRequest(gateway.url("/cached"), { headers: { "if-none-match": '"v1"' } });
    expect(cached.status).toBe(304);
    expect(cached.headers.etag).toBe('"v1"');
    const line = gateway.logs.find((l) => l.msg === "request" && l.method === "HEAD");
    expect(line).toMatchObject({ listener: "main", route: "all", path: "/doc", status: 200 });
    expect(line?.durationMs).toBeGreaterThanOrEqual(line?.upstreamMs as number);
  });
});

describe("50 MB through the gateway with bounded memory", () => {
  const SIZE = 50 * MB;
  const chunk = randomBytes(64 * 1024);

  async function* generate(total: number): AsyncIterable<Buffer> {
    for (let sent = 0; sent < total; sent += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, total - sent));
  }

  it("uploads 50 MB without holding the body", async () => {
    const upstream = await digestUpstream();
    const gateway = await startTestGateway(proxyTo(upstream.url));
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const res = await rawRequest(gateway.url("/big"), { method: "POST", body: generate(SIZE) });
    clearInterval(sampler);
    expect(res.json()).toMatchObject({ length: SIZE });
    // Client, gateway and upstream share this process: a buffered body would add 50 MB or more.
    expect(peak - before).toBeLessThan(40 * MB);
  });

  it("downloads 50 MB to a slow reader, under backpressure", async () => {
    let upstreamWrote = 0;
    const upstream = await startUpstream(async (_req, res) => {
      for await (const piece of generate(SIZE)) {
        upstreamWrote += piece.length;
        if (!res.write(piece)) await new Promise((r) => res.once("drain", r));
      }
      res.end();
    });
    const gateway = await startTestGateway(proxyTo(upstream.url));
    const before = process.memoryUsage().rss;
    let peak = before;
    const { request } = await import("node:http");
    const received = await new Promise<number>((resolve, reject) => {
      request(gateway.url("/big"), { agent: false }, (res: IncomingMessage) => {
        let count = 0;
        let maxAhead = 0;
        res.on("data", (data: Buffer) => {
          count += data.length;
          maxAhead = Math.max(maxAhead, upstreamWrote - count);
          peak = Math.max(peak, process.memoryUsage().rss);
          // A slow consumer for the first 5 MB: the upstream must not run far ahead of us.
          if (count < 5 * MB) {
            res.pause();
            setTimeout(() => res.resume(), 2);
          }
        });
        res.on("end", () => {
          expect(maxAhead).toBeLessThan(16 * MB);
          resolve(count);
        });
        res.on("error", reject);
      })
        .on("error", reject)
        .end();
    });
    expect(received).toBe(SIZE);
    expect(peak - before).toBeLessThan(40 * MB);
  });
});
