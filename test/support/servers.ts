import { createServer, request as httpRequest, type IncomingHttpHeaders, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Everything a test started, stopped by `stopAll()` (call it in afterEach/afterAll). */
const running: Array<() => Promise<unknown>> = [];

export function track(stop: () => Promise<unknown>): void {
  running.push(stop);
}

export async function stopAll(): Promise<void> {
  const stops = running.splice(0).reverse();
  for (const stop of stops) await stop().catch(() => undefined);
}

export interface Upstream {
  server: Server;
  port: number;
  /** http://127.0.0.1:port */
  url: string;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 and an ephemeral port. */
export async function startUpstream(handler: RequestListener): Promise<Upstream> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  track(close);
  return { server, port, url: `http://127.0.0.1:${port}`, close };
}

/** A port nothing listens on (bound once, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/**
 * A request with node:http and no agent (a fresh connection), so tests can send any header,
 * hop-by-hop ones included. `body` may be a Buffer or an async iterable of chunks (sent chunked).
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | string[]> | string[];
    body?: Buffer | string | AsyncIterable<Buffer>;
    /** Connect from this loopback address (127.0.0.2, ...) to look like another client. */
    localAddress?: string;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const { method = "GET", headers, localAddress } = options;
    const req = httpRequest(url, { method, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body,
          json: <T>() => JSON.parse(body.toString("utf8")) as T,
        });
      });
    });
    req.on("error", reject);
    const { body } = options;
    if (body === undefined || typeof body === "string" || Buffer.isBuffer(body)) {
      req.end(body);
      return;
    }
    (async () => {
      for await (const chunk of body) {
        if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
      }
      req.end();
    })().catch(reject);
  });
}
