import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { writeSocketError } from "../proxy/error-response.js";
import { accept, fault } from "../proxy/pipeline.js";
import { connectionRefusal, identifyConnection } from "./client-certificates.js";
import type { ListenerSlot } from "./listener-server.js";

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Wires mTLS into a listener's HTTPS server: the identity of each connection, closing connections whose
 * certificate is refused at the handshake, and the request and upgrade handlers answering 401/403.
 * Returns the handlers to install (the defaults when the listener has no mTLS).
 */
export function withClientCertificates(
  server: HttpsServer,
  slot: ListenerSlot,
  onRequest: RequestHandler,
  onUpgrade: UpgradeHandler,
): { onRequest: RequestHandler; onUpgrade: UpgradeHandler } {
  if (!slot.runtime.config.tls?.clientCertificates) return { onRequest, onUpgrade };
  server.on("secureConnection", (socket: TLSSocket) => {
    const mtls = slot.runtime.config.tls?.clientCertificates;
    if (!mtls) return;
    const identity = identifyConnection(socket, mtls);
    // Optional certificates: a presented one that fails is refused, though OpenSSL let it through.
    if (identity.refusal !== undefined && mtls.refuse === "handshake") socket.destroy();
  });
  return {
    onRequest: (req, res) => {
      const refusal = connectionRefusal(req.socket);
      if (refusal === undefined) onRequest(req, res);
      else fault(accept(slot.runtime, req, res), refusal);
    },
    onUpgrade: (req, socket, head) => {
      const refusal = connectionRefusal(req.socket);
      if (refusal === undefined) onUpgrade(req, socket, head);
      else writeSocketError(socket as never, refusal);
    },
  };
}
