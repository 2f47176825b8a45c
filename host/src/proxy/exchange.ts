import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { ErrorCode } from "../errors.js";
import { isTrusted, plainAddress, type ListenerRuntime, type RouteRuntime } from "../listeners/listener-runtime.js";
import { headerValue, type RouteRequest, type RouteSelection } from "../routing/select-route.js";
import type { BackendRuntime, UpstreamTarget } from "./backends.js";
import type { UpstreamAbort } from "./upstream-abort.js";

/**
 * One request/response pair as it moves through the pipeline. Its request fields are what policies may
 * change (method, path, query, rawHeaders); it doubles as the route selector's input.
 */
export class Exchange implements RouteRequest {
  readonly startedAt = performance.now();
  readonly clientIp: string;
  readonly clientTrusted: boolean;
  readonly requestId: string;
  method: string;
  host: string | undefined;
  path: string;
  query: string;
  rawHeaders: string[];
  route: RouteRuntime | undefined = undefined;
  params: Record<string, string> | undefined = undefined;
  backend: BackendRuntime | undefined = undefined;
  /** Per-request metadata policies set and read ([key, JSON text] pairs); undefined until a policy sets some. */
  metadata: Array<[string, string]> | undefined = undefined;
  /** The route selection (pipeline.ts selectRoute, once; again only after a listener flow changed what it reads). */
  selection: RouteSelection | undefined = undefined;
  /** A body a request flow buffered or replaced; sent upstream instead of streaming the client's. */
  requestBody: Uint8Array | undefined = undefined;
  /** Upstream response head and body stream, filled before the response flow runs. */
  upstreamBody: Readable | undefined = undefined;
  responseStatus = 0;
  responseHeaders: string[] | undefined = undefined;
  /** Body bytes sent to the client, when known. */
  bytesSent = 0;
  upstreamStartedAt = 0;
  upstreamEndedAt = 0;
  /** Set when the gateway produced the response itself (an error). */
  faultCode: ErrorCode | undefined = undefined;
  /** The underlying error's message, for the access log only (never sent to the client). */
  faultDetail: string | undefined = undefined;
  upstreamAbort: UpstreamAbort | undefined = undefined;
  totalTimer: NodeJS.Timeout | undefined = undefined;
  /** The total upstream timeout fired (so the abort it caused is reported as a timeout). */
  timedOut = false;
  /** Retries so far (0 on the first try). */
  attempt = 0;
  /** The target of the try in flight, until the try ends. */
  target: UpstreamTarget | undefined = undefined;
  tryTimer: NodeJS.Timeout | undefined = undefined;
  /** The per-try timeout aborted the try in flight. */
  tryTimedOut = false;
  retryTimer: NodeJS.Timeout | undefined = undefined;
  /** The request body can be sent again (none, or buffered by a policy): a condition of retries. */
  replayable = false;
  /** The client went away before the response was complete. */
  clientGone = false;
  /** The request became a WebSocket tunnel. */
  upgraded = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly listener: ListenerRuntime,
  ) {
    this.clientIp = plainAddress(req.socket.remoteAddress ?? "");
    this.clientTrusted = listener.config.trustedProxies.length > 0 && isTrusted(listener.trustedProxies, this.clientIp);
    this.rawHeaders = req.rawHeaders;
    this.requestId = (this.clientTrusted && headerValue(this.rawHeaders, "x-request-id")) || randomUUID();
    this.method = req.method ?? "GET";
    this.host = headerValue(this.rawHeaders, "host");
    const url = req.url ?? "/";
    const mark = url.indexOf("?");
    this.path = mark === -1 ? url : url.slice(0, mark);
    this.query = mark === -1 ? "" : url.slice(mark + 1);
  }

  /** Milliseconds the upstream took (connect to last byte), -1 when none was called. */
  get upstreamMs(): number {
    return this.upstreamStartedAt === 0 ? -1 : (this.upstreamEndedAt || performance.now()) - this.upstreamStartedAt;
  }
}
