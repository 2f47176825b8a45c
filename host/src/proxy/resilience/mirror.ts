import type { Dispatcher } from "undici";
import { upstreamPath, type UpstreamBackend } from "../backends.js";
import type { Exchange } from "../exchange.js";
import { buildUpstreamHeaders } from "../forward-headers.js";

/**
 * Sends a copy of the request to a shadow backend and discards whatever it answers (or fails with): the
 * client's response never waits on it. Only requests whose body can be replayed (none, or buffered) are
 * mirrored, so the client's stream is never read twice. The copy is not an upstream try of the exchange,
 * so observers (traces, metrics) do not see it.
 */
export function sendMirror(ex: Exchange, backend: UpstreamBackend): void {
  const target = backend.balancer.pick(ex);
  if (target === undefined) return;
  const { config } = backend;
  const upstreamHost = config.preserveHost ? (ex.host ?? target.authority) : (config.hostRewrite ?? target.authority);
  const facts = { replacedBody: ex.requestBody !== undefined, trusted: ex.clientTrusted, clientIp: ex.clientIp, upgrade: undefined };
  target.pool
    .request({
      path: upstreamPath(backend, target, ex.path, ex.query),
      method: ex.method as Dispatcher.HttpMethod,
      headers: buildUpstreamHeaders(ex.rawHeaders, { ...facts, proto: ex.listener.protocol, requestId: ex.requestId, upstreamHost }),
      body: ex.requestBody ?? null,
      headersTimeout: config.timeouts.headersMs,
      bodyTimeout: config.timeouts.bodyMs,
    })
    .then((response) => response.body.dump())
    .catch(() => undefined);
}
