import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { resolve } from "node:path";
import type { HttpErrorCode } from "../errors.js";
import { writeSocketError } from "../proxy/error-response.js";
import { exchangeOfSocket, fault, handleRequest } from "../proxy/pipeline.js";
import { handleUpgrade } from "../proxy/websocket.js";
import type { ListenerRuntime } from "./listener-runtime.js";

/** Creates the HTTP(S) server of a listener, with its limits, request, upgrade and client-error handlers. */
export function createListenerServer(listener: ListenerRuntime, baseDir: string): Server {
  const { limits, tls } = listener.config;
  const options = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default, too coarse for short limits).
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const server = tls
    ? createHttpsServer({ ...options, cert: readFileSync(resolve(baseDir, tls.cert)), key: readFileSync(resolve(baseDir, tls.key)) })
    : createHttpServer(options);
  server.on("request", (req, res) => handleRequest(listener, req, res));
  server.on("upgrade", (req, socket, head) => handleUpgrade(listener, req, socket, head));
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => onClientError(error, socket));
  return server;
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
