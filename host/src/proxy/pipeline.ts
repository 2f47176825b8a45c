import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { HttpErrorCode } from "../errors.js";
import { clientCertificateMetadata } from "../listeners/client-certificates.js";
import type { ListenerRuntime, RouteRuntime } from "../listeners/listener-runtime.js";
import { readMcpBody } from "../mcp/mcp-stage.js";
import { canonicalPath } from "../routing/normalize-path.js";
import { headerValue, selectRoute } from "../routing/select-route.js";
import { accessLogMetadataOf } from "./access-log-metadata.js";
import { splitChoice, upstreamPath, type UpstreamBackend, type UpstreamTarget } from "./backends.js";
import { BodyLimit, BodyTooLargeError } from "./body-limit.js";
import { echoPayload, readBody } from "./echo.js";
import { defaultErrorResponse, faultOf } from "./error-response.js";
import { Exchange } from "./exchange.js";
import { sendMirror } from "./resilience/mirror.js";
import { bufferBodyFirst, endTryWithBody, retryAfterError, retryAfterStatus, startTry } from "./resilience/upstream-tries.js";
import type { ErrorResponse, FaultDetails, FlowDecision } from "./flow-runner.js";
import { buildResponseHeaders, buildUpstreamHeaders } from "./forward-headers.js";
import { UpstreamAbort } from "./upstream-abort.js";
import { streamEvents, type EventHooks } from "./sse-events.js";
import { classifyUpstreamError } from "./upstream-errors.js";

/**
 * The request path, stage by stage:
 *   accept -> listener request flow -> route selection -> route request flow -> body limit
 *   -> backend (upstream via undici, streamed | echo | direct response) -> response flow -> send,
 * and `fault`, which every error response the gateway produces goes through (fault flow, then send).
 * Flow stages cost nothing when the FlowRunner returns undefined (no policy attached).
 * Per-request state lives on the Exchange; callbacks are module functions that find it through
 * a symbol or undici's `opaque`, so the zero-policy path allocates no closures.
 */

const EXCHANGE = Symbol("portcullis.exchange");
type WithExchange<T> = T & { [EXCHANGE]?: Exchange };

// ---- accept --------------------------------------------------------------------------------

export function handleRequest(listener: ListenerRuntime, req: IncomingMessage, res: ServerResponse): void {
  const ex = accept(listener, req, res);
  try {
    if (listener.gateway.draining) return fault(ex, "PCS_ERR_SHUTTING_DOWN");
    const shed = listener.gateway.shedder.gatewayShed(listener.gateway.inFlight);
    if (shed !== undefined) return fault(ex, "PCS_ERR_OVERLOADED", { detail: shed });
    if (!canonicalTarget(ex)) return;
    requestStages(ex, backendStage);
  } catch (error) {
    failed(ex, error);
  }
}

/**
 * Route selection, the listener and route request flows, then `next`: the backend stage for a
 * request, the upstream handshake for a WebSocket upgrade (so policies run on handshakes too).
 * The route is selected once, before any policy (so per-route shedding comes first), and again only
 * when a listener flow changed what selection reads.
 */
export function requestStages(ex: Exchange, next: (ex: Exchange) => void): void {
  const route = selectRouteOf(ex);
  if (route !== undefined) {
    if (shedOnRoute(ex, route)) return;
    if (route.config.mcp === true && ex.method === "POST") return mcpStage(ex, route, next);
  }
  listenerRequestStage(ex, next);
}

/** The one place routes are selected: sets ex.selection, returns the matched route. */
function selectRouteOf(ex: Exchange): RouteRuntime | undefined {
  const selection = selectRoute(ex.listener.routeTable, ex);
  ex.selection = selection;
  return selection.kind === "matched" ? ex.listener.routes[selection.route.index] : undefined;
}

function shedOnRoute(ex: Exchange, route: RouteRuntime): boolean {
  const shed = ex.listener.gateway.shedder.routeShed(route, route.config.maxInFlight, ex.res);
  if (shed !== undefined) fault(ex, "PCS_ERR_OVERLOADED", { detail: shed });
  return shed !== undefined;
}

/** An MCP route's POST: the JSON-RPC body is read and parsed once (host/src/mcp), then the flows run. */
function mcpStage(ex: Exchange, route: RouteRuntime, next: (ex: Exchange) => void): void {
  readMcpBody(ex, route)
    .then((refused) => (refused === undefined ? listenerRequestStage(ex, next) : fault(ex, refused.code, refused.details)))
    .catch((error: unknown) => failed(ex, error));
}

function listenerRequestStage(ex: Exchange, next: (ex: Exchange) => void): void {
  const pending = ex.listener.gateway.flows.onListenerRequest(ex);
  if (pending === undefined) return routeStage(ex, next, false);
  pending.then((decision) => afterListenerFlow(ex, decision, next)).catch((error: unknown) => failed(ex, error));
}

function afterListenerFlow(ex: Exchange, decision: FlowDecision, next: (ex: Exchange) => void): void {
  if (decision.action !== "continue") return afterFlow(ex, decision, next);
  if (decision.routeFlowRan) return routeStage(ex, next, true);
  // The listener's policies may have changed the method, path, query or headers: select again.
  const before = ex.selection?.kind === "matched" ? ex.selection.route : undefined;
  const route = selectRouteOf(ex);
  if (route !== undefined && ex.selection?.kind === "matched" && ex.selection.route !== before && shedOnRoute(ex, route)) return;
  routeStage(ex, next, false);
}

/** The selected route becomes the request's (404 or 405 when none matched), then its request flow unless it ran. */
function routeStage(ex: Exchange, next: (ex: Exchange) => void, routeFlowRan: boolean): void {
  const selection = ex.selection!;
  if (selection.kind === "not-found") return fault(ex, "PCS_ERR_ROUTE_NOT_FOUND");
  if (selection.kind === "method-not-allowed") {
    return fault(ex, "PCS_ERR_METHOD_NOT_ALLOWED", { headers: ["allow", selection.allow.join(", ")] });
  }
  const route = ex.listener.routes[selection.route.index]!;
  ex.route = route;
  ex.params = selection.params;
  ex.backend = route.operationBackends?.get(ex.method) ?? route.backend;
  if (routeFlowRan) return next(ex);
  const pending = ex.listener.gateway.flows.onRouteRequest(ex);
  if (pending === undefined) next(ex);
  else continueAfter(ex, pending, next);
}

/** Registers the exchange on its response and socket; shared with WebSocket upgrades. */
export function accept(listener: ListenerRuntime, req: IncomingMessage, res: ServerResponse): Exchange {
  const ex = new Exchange(req, res, listener);
  ex.metadata = clientCertificateMetadata(req.socket); // mTLS: the verified client certificate, else undefined
  (res as WithExchange<ServerResponse>)[EXCHANGE] = ex;
  (req.socket as WithExchange<typeof req.socket>)[EXCHANGE] = ex;
  listener.gateway.inFlight++;
  res.once("close", onResponseClose);
  listener.gateway.observer?.onRequestStart(ex);
  return ex;
}

/**
 * Puts the request path in its canonical form (routing/normalize-path.ts) before anything reads it;
 * answers 400 and returns false when the target is refused. Shared with WebSocket upgrades.
 */
export function canonicalTarget(ex: Exchange): boolean {
  if (!ex.path.startsWith("/") && !fromAbsoluteForm(ex)) {
    fault(ex, "PCS_ERR_BAD_REQUEST", { message: "request target is not a path" });
    return false;
  }
  const path = ex.query.includes("#") ? FRAGMENT : canonicalPath(ex.path, ex.listener.config.paths);
  if (typeof path !== "string") {
    fault(ex, "PCS_ERR_BAD_PATH", { message: `refused: ${path.refused}` });
    return false;
  }
  ex.path = path;
  return true;
}

const FRAGMENT = Object.freeze({ refused: "the request target has a fragment (#)" });

/** `GET http://host/path HTTP/1.1` (absolute-form, sent to proxies): keep only the path, as sent. */
function fromAbsoluteForm(ex: Exchange): boolean {
  const found = /^https?:\/\/[^/]*/i.exec(ex.path);
  if (!found) return false;
  ex.path = ex.path.slice(found[0].length) || "/";
  return true;
}

// ---- flow decisions ------------------------------------------------------------------------

/** Waits for a flow, then runs the next stage; a failure in either becomes a 500. */
function continueAfter(ex: Exchange, pending: Promise<FlowDecision>, next: (ex: Exchange) => void): void {
  pending.then((decision) => afterFlow(ex, decision, next)).catch((error: unknown) => failed(ex, error));
}

function afterFlow(ex: Exchange, decision: FlowDecision, next: (ex: Exchange) => void): void {
  if (decision.action === "continue") next(ex);
  else if (decision.action === "respond") sendComplete(ex, decision.status, decision.headers, decision.body);
  else fault(ex, decision.code, decision);
}

/** A bug (ours or a flow runner's): log it, answer 500, keep serving. */
function failed(ex: Exchange, error: unknown): void {
  ex.listener.gateway.logger.error({ err: error, reqId: ex.requestId }, "request failed inside the gateway");
  fault(ex, "PCS_ERR_INTERNAL");
}

// ---- backends --------------------------------------------------------------------------------

/** Shared with upgrades other than WebSocket, which are served as plain requests. */
export function backendStage(ex: Exchange): void {
  const limit = ex.route!.maxBodyBytes;
  const declared = headerValue(ex.rawHeaders, "content-length");
  if (declared !== undefined && Number(declared) > limit) return fault(ex, "PCS_ERR_BODY_TOO_LARGE");
  let backend = ex.backend!;
  if (backend.kind === "split") ex.backend = backend = splitChoice(backend);
  switch (backend.kind) {
    case "split":
      return fault(ex, "PCS_ERR_INTERNAL", { detail: "a split inside a split" }); // the schema rules it out
    case "upstream":
      return forwardUpstream(ex, backend, declared === undefined ? limit : -1);
    case "echo":
      return serveEcho(ex, limit);
    case "direct":
      return sendAnswer(ex, backend.status, backend.headers, backend.body);
  }
}

function serveEcho(ex: Exchange, limit: number): void {
  const body = ex.requestBody ? Promise.resolve(Buffer.from(ex.requestBody)) : readBody(ex.req, limit);
  body
    .then(
      (bytes) => sendAnswer(ex, 200, ["content-type", "application/json"], JSON.stringify(echoPayload(ex, bytes))),
      (error: unknown) => fault(ex, error instanceof BodyTooLargeError ? "PCS_ERR_BODY_TOO_LARGE" : "PCS_ERR_BAD_REQUEST"),
    )
    .catch((error: unknown) => failed(ex, error));
}

/** A response the gateway made itself (echo, direct response) goes through the response flow too. */
function sendAnswer(ex: Exchange, status: number, headers: readonly string[], body: string | Uint8Array): void {
  const pending = ex.listener.gateway.flows.onGatewayResponse(ex, { status, headers: headers as string[], body });
  if (pending === undefined) sendComplete(ex, status, headers, body);
  else pending.then((answer) => sendComplete(ex, answer.status, answer.headers, answer.body)).catch((error: unknown) => failed(ex, error));
}

/** `streamLimit` >= 0: the body has no Content-Length, so count it on the way (-1: Node enforces the length). */
function forwardUpstream(ex: Exchange, backend: UpstreamBackend, streamLimit: number): void {
  if (ex.requestBody === undefined && bufferBodyFirst(ex, backend, headerValue(ex.rawHeaders, "content-length"))) {
    return void readBody(ex.req, backend.config.retries.bufferBytes)
      .then(
        (bytes) => {
          ex.requestBody = bytes;
          forwardUpstream(ex, backend, streamLimit);
        },
        (error: unknown) => fault(ex, error instanceof BodyTooLargeError ? "PCS_ERR_BODY_TOO_LARGE" : "PCS_ERR_BAD_REQUEST"),
      )
      .catch((error: unknown) => failed(ex, error));
  }
  const target = backend.balancer.pick(ex);
  if (target === undefined) return noAvailableTarget(ex, backend, streamLimit);
  const { config } = backend;
  ex.replayable = ex.requestBody !== undefined || !hasRequestBody(ex);
  if (backend.mirror && ex.replayable && Math.random() < backend.mirror.share) sendMirror(ex, backend.mirror.backend);
  if (config.timeouts.totalMs !== undefined) ex.totalTimer = setTimeout(onTotalTimeout, config.timeouts.totalMs, ex);
  ex.upstreamStartedAt = performance.now();
  const body = ex.requestBody ?? (!hasRequestBody(ex) ? null : streamLimit >= 0 ? ex.req.pipe(new BodyLimit(streamLimit)) : ex.req);
  sendTry(ex, target, body);
}

/** One try at the upstream; retries (resilience/upstream-tries.ts) come back here with a replayable body. */
function sendTry(ex: Exchange, target: UpstreamTarget, body: Dispatcher.DispatchOptions["body"] = ex.requestBody ?? null): void {
  if (ex.clientGone || ex.res.writableEnded) return;
  if (ex.timedOut) return fault(ex, "PCS_ERR_UPSTREAM_TIMEOUT", { detail: "total timeout between tries" });
  const backend = ex.backend as UpstreamBackend;
  ex.upstreamAbort = new UpstreamAbort();
  startTry(ex, backend, target);
  target.pool.request(
    {
      path: upstreamPath(backend, target, ex.path, ex.query),
      method: ex.method as Dispatcher.HttpMethod,
      headers: upstreamHeaders(ex, backend, target, undefined),
      body,
      headersTimeout: backend.config.timeouts.headersMs,
      bodyTimeout: backend.config.timeouts.bodyMs,
      signal: ex.upstreamAbort,
      opaque: ex,
    },
    onUpstreamResult,
  );
}

/** Every target is ejected or unhealthy: the fallback answers, or a fast 503 rather than a wait on a dead target. */
function noAvailableTarget(ex: Exchange, backend: UpstreamBackend, streamLimit: number): void {
  const { fallback } = backend;
  if (fallback === undefined) return fault(ex, "PCS_ERR_NO_HEALTHY_UPSTREAM", { detail: `backend ${backend.name ?? ex.route!.name}` });
  ex.backend = fallback;
  if (fallback.kind === "direct") sendAnswer(ex, fallback.status, fallback.headers, fallback.body);
  else forwardUpstream(ex, fallback, streamLimit); // the fallback has no fallback of its own
}

/** The headers of the upstream request (or WebSocket handshake, with `upgrade`) for this exchange. */
export function upstreamHeaders(ex: Exchange, backend: UpstreamBackend, target: UpstreamTarget, upgrade: string | undefined): string[] {
  const { config } = backend;
  const headers = buildUpstreamHeaders(ex.rawHeaders, {
    replacedBody: ex.requestBody !== undefined,
    trusted: ex.clientTrusted,
    clientIp: ex.clientIp,
    proto: ex.listener.protocol,
    requestId: ex.requestId,
    upstreamHost: config.preserveHost ? (ex.host ?? target.authority) : (config.hostRewrite ?? target.authority),
    upgrade,
  });
  ex.listener.gateway.observer?.onUpstreamStart(ex, headers); // one call per try: observers may add trace context
  return headers;
}

function hasRequestBody(ex: Exchange): boolean {
  const length = headerValue(ex.rawHeaders, "content-length");
  return length === undefined ? headerValue(ex.rawHeaders, "transfer-encoding") !== undefined : length !== "0";
}

function onTotalTimeout(ex: Exchange): void {
  ex.timedOut = true;
  ex.upstreamAbort?.abort();
}

function onUpstreamResult(error: Error | null, data: Dispatcher.ResponseData<Exchange>): void {
  const ex = data.opaque;
  try {
    if (error) {
      ex.listener.gateway.observer?.onUpstreamError(ex, error);
      if (!retryAfterError(ex, error, sendTry)) upstreamFailed(ex, error);
    } else if (!retryAfterStatus(ex, data.statusCode, data.body, sendTry)) upstreamResponded(ex, data);
  } catch (bug) {
    failed(ex, bug);
  }
}

function upstreamResponded(ex: Exchange, data: Dispatcher.ResponseData<Exchange>): void {
  const { body } = data;
  (body as WithExchange<typeof body>)[EXCHANGE] = ex;
  body.on("error", onUpstreamBodyError);
  endTryWithBody(ex, body);
  if (ex.clientGone) return void body.destroy();
  if (data.statusCode >= 500 && ex.backend!.kind === "upstream" && ex.backend!.config.faultOn5xx) {
    body.destroy();
    return fault(ex, "PCS_ERR_UPSTREAM_ERROR", { detail: `upstream answered ${data.statusCode}` });
  }
  ex.responseStatus = data.statusCode;
  ex.responseHeaders = buildResponseHeaders(data.headers, ex.requestId);
  ex.upstreamBody = body;
  const events = ex.listener.gateway.flows.onUpstreamEvents?.(ex);
  if (events !== undefined) return streamEvents(ex, body, events, EVENT_HOOKS);
  const pending = ex.listener.gateway.flows.onUpstreamResponse(ex);
  if (pending === undefined) streamUpstreamResponse(ex, body);
  else pending.then((decision) => afterResponseFlow(ex, decision)).catch((flowError: unknown) => failed(ex, flowError));
}

function afterResponseFlow(ex: Exchange, decision: FlowDecision): void {
  const body = ex.upstreamBody!;
  if (decision.action === "continue" && !body.destroyed) return streamUpstreamResponse(ex, body);
  ex.upstreamBody = undefined; // so the abort error of the discarded body is not reported as a failure
  body.destroy();
  afterFlow(ex, decision, failUnreadableBody);
}

const EVENT_HOOKS: EventHooks = { refuse: afterResponseFlow, fault, failed };

/** A response flow said continue after consuming the upstream body without replacing the response. */
function failUnreadableBody(ex: Exchange): void {
  fault(ex, "PCS_ERR_INTERNAL", { detail: "the response flow consumed the upstream body without answering" });
}

function streamUpstreamResponse(ex: Exchange, body: Readable): void {
  const length = headerValue(ex.responseHeaders!, "content-length");
  if (length === undefined) body.on("data", countBytes);
  else ex.bytesSent = Number(length);
  body.once("end", onUpstreamBodyEnd);
  if (ex.listener.gateway.draining) ex.res.shouldKeepAlive = false;
  ex.res.writeHead(ex.responseStatus, ex.responseHeaders);
  body.pipe(ex.res);
}

function countBytes(this: WithExchange<Readable>, chunk: Buffer): void {
  this[EXCHANGE]!.bytesSent += chunk.length;
}

function onUpstreamBodyEnd(this: WithExchange<Readable>): void {
  const ex = this[EXCHANGE]!;
  ex.upstreamEndedAt = performance.now();
  clearTimeout(ex.totalTimer);
}

function onUpstreamBodyError(this: WithExchange<Readable>, error: Error): void {
  const ex = this[EXCHANGE]!;
  if (ex.clientGone || ex.upstreamBody !== this) return;
  ex.listener.gateway.observer?.onUpstreamError(ex, error);
  upstreamFailed(ex, error);
}

function upstreamFailed(ex: Exchange, error: Error): void {
  ex.upstreamEndedAt = performance.now();
  clearTimeout(ex.totalTimer);
  if (ex.clientGone) return;
  const code = error instanceof BodyTooLargeError ? "PCS_ERR_BODY_TOO_LARGE" : classifyUpstreamError(error, ex.timedOut || ex.tryTimedOut);
  if (code === "PCS_ERR_INTERNAL") ex.listener.gateway.logger.error({ err: error, reqId: ex.requestId }, "upstream call failed");
  fault(ex, code, { detail: error.message });
}

// ---- send ----------------------------------------------------------------------------------

/** Sends a complete response (echo, direct response, a policy's answer, an error). */
function sendComplete(ex: Exchange, status: number, headers: readonly string[], body: string | Uint8Array): void {
  const { res } = ex;
  if (ex.clientGone || res.headersSent) return;
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  if (ex.listener.gateway.draining) res.shouldKeepAlive = false;
  try {
    res.writeHead(status, [...headers, "content-length", String(bytes.length), "x-request-id", ex.requestId]);
  } catch (error) {
    // Last line of defence (policy output is checked before it gets here): a well-formed 500, not a crash.
    ex.listener.gateway.logger.error({ err: error, reqId: ex.requestId }, "response head refused by Node");
    ex.faultCode = "PCS_ERR_INTERNAL";
    const fallback = defaultErrorResponse(faultOf("PCS_ERR_INTERNAL"), ex.requestId);
    return sendComplete(ex, fallback.status, fallback.headers, fallback.body);
  }
  ex.bytesSent = bytes.length;
  res.end(ex.method === "HEAD" ? undefined : bytes);
}

// ---- fault -----------------------------------------------------------------------------------

/**
 * Every error response the gateway produces comes here: the upstream call is aborted, the fault flow may
 * reshape the default JSON error, and the result is sent. A failing fault flow falls back to the default.
 * Once the response has started, the only honest signal left is to reset the connection.
 */
export function fault(ex: Exchange, code: HttpErrorCode, details: FaultDetails = NO_DETAILS): void {
  if (ex.res.writableEnded) return; // answered already (e.g. a 408, then the aborted body reports too)
  ex.faultCode = code;
  ex.faultDetail = details.detail;
  clearTimeout(ex.totalTimer);
  ex.upstreamAbort?.abort();
  if (ex.clientGone) return;
  if (ex.res.headersSent) {
    ex.res.destroy();
    return;
  }
  const info = faultOf(code, details.message, details.policy);
  if (details.retryAfterSeconds !== undefined) info.retryAfterSeconds = details.retryAfterSeconds;
  if (details.response) info.status = details.response.status; // a policy's rejection keeps its own status
  const response = details.response ?? defaultErrorResponse(info, ex.requestId);
  if (details.headers) response.headers.push(...details.headers);
  if (details.faultFlowRan) return sendError(ex, response);
  // A fault flow that fails (a bug: policy failures are handled inside it) leaves the error as it was.
  const unshaped = (error: unknown) => {
    ex.listener.gateway.logger.error({ err: error, reqId: ex.requestId }, "fault flow failed inside the gateway; the error response is sent unshaped");
    sendError(ex, response);
  };
  let pending: Promise<ErrorResponse> | undefined;
  try {
    pending = ex.listener.gateway.flows.onFault(ex, info, response);
  } catch (error) {
    return unshaped(error);
  }
  if (pending === undefined) sendError(ex, response);
  else pending.then((shaped) => sendError(ex, shaped), unshaped).catch((error: unknown) => sendBareError(ex, error));
}

const NO_DETAILS: FaultDetails = Object.freeze({});

/** A bug on the fault path itself: the default 500, with no fault flow (no recursion). */
function sendBareError(ex: Exchange, error: unknown): void {
  ex.listener.gateway.logger.error({ err: error, reqId: ex.requestId }, "error response failed inside the gateway");
  const fallback = defaultErrorResponse(faultOf("PCS_ERR_INTERNAL"), ex.requestId);
  if (!ex.res.headersSent) sendComplete(ex, fallback.status, fallback.headers, fallback.body);
  else ex.res.destroy();
}

function sendError(ex: Exchange, response: ErrorResponse): void {
  // A body that was not read: close the connection rather than read and discard the rest.
  if (!ex.req.complete && hasRequestBody(ex)) ex.res.shouldKeepAlive = false;
  sendComplete(ex, response.status, response.headers, response.body);
}

// ---- close: access log, accounting, client disconnects -----------------------------------------

function onResponseClose(this: WithExchange<ServerResponse>): void {
  const ex = this[EXCHANGE]!;
  if (!this.writableFinished && !ex.upgraded) {
    ex.clientGone = true;
    ex.upstreamAbort?.abort();
  }
  clearTimeout(ex.totalTimer);
  const gateway = ex.listener.gateway;
  ex.listener.accessLog.info(
    {
      reqId: ex.requestId,
      route: ex.route?.name,
      method: ex.method,
      path: ex.path,
      status: ex.upgraded ? 101 : this.statusCode,
      bytes: ex.bytesSent,
      durationMs: round(performance.now() - ex.startedAt),
      upstreamMs: round(ex.upstreamMs),
      tries: ex.attempt > 0 ? ex.attempt + 1 : undefined,
      error: ex.faultCode,
      detail: ex.faultDetail,
      aborted: ex.clientGone || undefined,
      metadata: gateway.accessLogMetadata && accessLogMetadataOf(gateway.accessLogMetadata, ex.metadata),
    },
    "request",
  );
  gateway.observer?.onRequestEnd(ex, ex.upgraded ? 101 : this.statusCode);
  if (--gateway.inFlight === 0) gateway.onIdle?.();
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Finds the exchange a socket is serving (for errors Node reports on the socket, e.g. request timeouts). */
export function exchangeOfSocket(socket: object): Exchange | undefined {
  const ex = (socket as WithExchange<object>)[EXCHANGE];
  return ex && !ex.res.writableFinished && !ex.res.destroyed ? ex : undefined;
}
