import { request as httpRequest, ServerResponse, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import type { ListenerRuntime } from "../listeners/listener-runtime.js";
import { pickTarget, upstreamPath } from "./backends.js";
import type { Exchange } from "./exchange.js";
import { buildResponseHeaders } from "./forward-headers.js";
import { accept, backendStage, canonicalTarget, fault, requestStages, upstreamHeaders } from "./pipeline.js";
import { classifyUpstreamError } from "./upstream-errors.js";

/**
 * Proxies an HTTP/1.1 WebSocket upgrade to the route's backend, then tunnels bytes both ways; other
 * upgrades are served as plain requests.
 * The handshake goes through the same accept, request flow, route selection and fault stages as a request; the
 * upstream's answer is relayed as is when it declines the upgrade.
 */
export function handleUpgrade(listener: ListenerRuntime, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const res = new ServerResponse(req);
  res.assignSocket(socket as never);
  const ex = accept(listener, req, res);
  socket.on("error", () => socket.destroy());
  res.once("finish", () => socket.end());
  try {
    if (listener.gateway.draining) return fault(ex, "PCS_ERR_SHUTTING_DOWN");
    if (!canonicalTarget(ex)) return;
    if (req.headers.upgrade?.trim().toLowerCase() === "websocket") return requestStages(ex, (routed) => proxyHandshake(routed, socket, head));
    // Any other protocol (h2c, ...) is never tunnelled: the request is served as a plain one, through
    // every policy, with Upgrade and Connection dropped as hop-by-hop. Its body, if any, was not parsed.
    ex.res.shouldKeepAlive = false;
    if (req.headers["content-length"] ?? req.headers["transfer-encoding"]) {
      return fault(ex, "PCS_ERR_BAD_REQUEST", { message: "an Upgrade other than websocket on a request with a body" });
    }
    requestStages(ex, backendStage);
  } catch (error) {
    listener.gateway.logger.error({ err: error, reqId: ex.requestId }, "upgrade failed inside the gateway");
    fault(ex, "PCS_ERR_INTERNAL");
  }
}

/** After route selection and the request flow: relay the handshake upstream and tunnel on success. */
function proxyHandshake(ex: Exchange, socket: Duplex, head: Buffer): void {
  const { req, listener } = ex;
  const backend = ex.backend!;
  if (backend.kind !== "upstream") return fault(ex, "PCS_ERR_UPGRADE_NOT_SUPPORTED");

  const target = pickTarget(backend);
  const url = new URL(target.origin);
  const headers = upstreamHeaders(ex, backend, target, req.headers.upgrade ?? "websocket");
  ex.upstreamStartedAt = performance.now();
  const upstream = (url.protocol === "https:" ? httpsRequest : httpRequest)({
    host: url.hostname,
    port: url.port,
    method: ex.method,
    path: upstreamPath(backend, target, ex.path, ex.query),
    headers,
    timeout: backend.config.timeouts.headersMs, // idle time until the upstream answers the handshake
  });
  upstream.on("timeout", () => upstream.destroy(Object.assign(new Error("upstream handshake timed out"), { code: "ETIMEDOUT" })));
  upstream.on("error", (error) => fault(ex, classifyUpstreamError(error, false), { detail: error.message }));
  upstream.on("response", (upstreamRes) => relayRefusal(ex, upstreamRes));
  upstream.on("upgrade", (upstreamRes, upstreamSocket, upstreamHead) => {
    upstreamSocket.setTimeout(0);
    ex.upgraded = true;
    listener.gateway.tunnels.add(socket);
    let response = "HTTP/1.1 101 Switching Protocols\r\n";
    for (let i = 0; i < upstreamRes.rawHeaders.length; i += 2) response += `${upstreamRes.rawHeaders[i]}: ${upstreamRes.rawHeaders[i + 1]}\r\n`;
    socket.write(`${response}x-request-id: ${ex.requestId}\r\n\r\n`);
    if (upstreamHead.length) socket.write(upstreamHead);
    if (head.length) upstreamSocket.write(head);
    upstreamSocket.on("error", () => socket.destroy());
    socket.on("close", () => {
      listener.gateway.tunnels.delete(socket);
      upstreamSocket.destroy();
    });
    upstreamSocket.on("close", () => socket.destroy());
    upstreamSocket.pipe(socket).pipe(upstreamSocket);
  });
  upstream.end();
}

/** The upstream answered the handshake without upgrading: pass its response on and close. */
function relayRefusal(ex: Exchange, upstreamRes: IncomingMessage): void {
  ex.res.shouldKeepAlive = false;
  ex.upstreamEndedAt = performance.now();
  ex.res.writeHead(upstreamRes.statusCode ?? 502, buildResponseHeaders(upstreamRes.headers, ex.requestId));
  upstreamRes.pipe(ex.res);
}
