import type { Dispatcher } from "undici";
import type { UpstreamBackend } from "../backends.js";
import type { Exchange } from "../exchange.js";
import { upstreamHeaders } from "../pipeline.js";
import { upstreamPath } from "../backends.js";

/**
 * Sends a copy of the request to a shadow backend and discards whatever it answers (or fails with): the
 * client's response never waits on it. Only requests whose body can be replayed (none, or buffered) are
 * mirrored, so the client's stream is never read twice.
 */
export function sendMirror(ex: Exchange, backend: UpstreamBackend): void {
  const target = backend.balancer.pick(ex);
  if (target === undefined) return;
  target.pool
    .request({
      path: upstreamPath(backend, target, ex.path, ex.query),
      method: ex.method as Dispatcher.HttpMethod,
      headers: upstreamHeaders(ex, backend, target, undefined),
      body: ex.requestBody ?? null,
      headersTimeout: backend.config.timeouts.headersMs,
      bodyTimeout: backend.config.timeouts.bodyMs,
    })
    .then((response) => response.body.dump())
    .catch(() => undefined);
}
