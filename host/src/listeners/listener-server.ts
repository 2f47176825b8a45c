import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import type { TlsConfig } from "../config/schema.js";
import { resolve } from "node:path";
import type { HttpErrorCode } from "../errors.js";
import { writeSocketError } from "../proxy/error-response.js";
import { exchangeOfSocket, fault, handleRequest } from "../proxy/pipeline.js";
import { handleUpgrade } from "../proxy/websocket.js";
import { withClientCertificates } from "./client-certificate-gate.js";
import { clientCaFiles, clientCertificateOptions } from "./client-certificates.js";
import type { ListenerRuntime } from "./listener-runtime.js";

/**
 * What a listener's server serves: the runtime of the configuration in force. A reload swaps `runtime`
 * (one assignment, so each request sees the old or the new one whole) and keeps the server and its sockets.
 */
export interface ListenerSlot {
  runtime: ListenerRuntime;
}

/** Creates the HTTP(S) server of a listener, with its limits, request, upgrade and client-error handlers. */
export function createListenerServer(slot: ListenerSlot, baseDir: string): Server {
  const { limits, tls } = slot.runtime.config;
  const options = {
    ...limitOptions(slot.runtime),
    // Node checks the request and headers timeouts on this interval (30 s by default, too coarse for short limits).
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const server = tls ? createHttpsServer({ ...options, ...tlsFiles(tls, baseDir), ...clientCertificateOptions(tls) }) : createHttpServer(options);
  const onRequest = (req: IncomingMessage, res: ServerResponse) => handleRequest(slot.runtime, req, res);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(slot.runtime, req, socket, head);
  const handlers = tls ? withClientCertificates(server as HttpsServer, slot, onRequest, onUpgrade) : { onRequest, onUpgrade };
  server.on("request", handlers.onRequest);
  server.on("upgrade", handlers.onUpgrade);
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => onClientError(error, socket));
  return server;
}

/**
 * For a reload: a kept server will take the new runtime's limits (Node reads them per connection or
 * request) and, for TLS, the certificate files as they are now (a reload also picks up a renewed
 * certificate). The files are read and checked here, before cutover; the returned step cannot fail.
 */
export function prepareServerUpdate(server: Server, next: ListenerRuntime, baseDir: string): () => void {
  const { tls } = next.config;
  const files = tls ? tlsFiles(tls, baseDir) : undefined;
  if (files) createSecureContext(files); // throws on a bad certificate or key
  return () => {
    Object.assign(server, limitOptions(next));
    if (files) (server as HttpsServer).setSecureContext(files);
  };
}

function limitOptions(listener: ListenerRuntime) {
  const { limits } = listener.config;
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  };
}

function tlsFiles(tls: TlsConfig, baseDir: string): SecureContextOptions {
  const own = { cert: readFileSync(resolve(baseDir, tls.cert)), key: readFileSync(resolve(baseDir, tls.key)) };
  return { ...own, ...clientCaFiles(tls.clientCertificates, baseDir) };
}

function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || error.code === "HPE_INVALID_EOF_STATE" || !socket.writable) {
    socket.destroy();
    return;
  }
  const code = clientErrorCode(error.code);
  const ex = exchangeOfSocket(socket);
  // A request already being served (a slow body): answer through the pipeline so the upstream is aborted.
  if (ex) fault(ex, code);
  else writeSocketError(socket, code);
}

function clientErrorCode(nodeCode: string | undefined): HttpErrorCode {
  if (nodeCode === "HPE_HEADER_OVERFLOW") return "PCS_ERR_HEADERS_TOO_LARGE";
  if (nodeCode === "ERR_HTTP_REQUEST_TIMEOUT") return "PCS_ERR_REQUEST_TIMEOUT";
  return "PCS_ERR_BAD_REQUEST";
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolveListen(server.address() as AddressInfo);
    });
  });
}
