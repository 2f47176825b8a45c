import type { HttpErrorCode } from "../errors.js";
import type { Exchange } from "./exchange.js";
import type { EventFlow } from "./sse-events.js";

/**
 * The hook points of the request path, for the policy runtime (host/src/runtime/) to implement; the
 * pipeline (pipeline.ts) alone decides which runs next. Each returns `undefined` when no policy is
 * attached at that point: the pipeline then goes on synchronously, with no promise and no allocation.
 * A returned promise is awaited before the next stage.
 *
 * Order: onListenerRequest -> route selection -> onRouteRequest -> upstream -> onUpstreamResponse;
 * onGatewayResponse for responses the gateway makes itself, onFault for every error response.
 */
export interface FlowRunner {
  /**
   * Listener-level request flow; may change ex.method, path, query, rawHeaders. The route was selected
   * tentatively (ex.selection) but is not set yet: a runner may run that route's request flow in the
   * same step, and says so with `routeFlowRan`; otherwise the pipeline selects the route again.
   */
  onListenerRequest(ex: Exchange): Promise<FlowDecision> | undefined;
  /** Route, operation (method) and backend request flows, in that order, after route selection. */
  onRouteRequest(ex: Exchange): Promise<FlowDecision> | undefined;
  /** Response flow on the upstream's head (ex.responseStatus, ex.responseHeaders), before anything is sent. */
  onUpstreamResponse(ex: Exchange): Promise<FlowDecision> | undefined;
  /** For a text/event-stream answer: the response flow event by event (sse-events.ts), or undefined to use onUpstreamResponse. */
  onUpstreamEvents?(ex: Exchange): EventFlow | undefined;
  /** Response flow on a complete response the gateway made itself (echo, directResponse backends). */
  onGatewayResponse(ex: Exchange, response: ErrorResponse): Promise<ErrorResponse> | undefined;
  /** Fault flow: may reshape the error response the gateway is about to send. */
  onFault(ex: Exchange, fault: Fault, response: ErrorResponse): Promise<ErrorResponse> | undefined;
}

/**
 * continue: go on to the next stage (a request flow may have changed ex.method, path, query, rawHeaders
 * or set ex.requestBody; see onListenerRequest for routeFlowRan); respond: answer with this response
 * instead; fault: answer through the fault path.
 */
export type FlowDecision =
  | { action: "continue"; routeFlowRan?: boolean }
  | { action: "respond"; status: number; headers: string[]; body: string | Uint8Array }
  | ({ action: "fault"; code: HttpErrorCode } & FaultDetails);

/** Optional facts about a fault, from the stage or policy that raised it. */
export interface FaultDetails {
  /** Sent to the client (default: the catalogue's meaning). */
  message?: string;
  /** For the access log only. */
  detail?: string;
  /** The policy that failed or rejected, for the fault flow. */
  policy?: string;
  /** Extra headers on the default error response (e.g. Allow). */
  headers?: string[];
  /** The response to start the fault flow from instead of the default JSON error (a policy's rejection). */
  response?: ErrorResponse;
  /** The fault and response flows already ran on `response` (in the same crossing as the request flow). */
  faultFlowRan?: boolean;
  /** Retry-After of the default error response, when known better than the code's fixed value. */
  retryAfterSeconds?: number;
}

/** What went wrong, as the fault flow sees it. */
export interface Fault {
  code: HttpErrorCode;
  status: number;
  message: string;
  /** The policy that failed or rejected, when a policy did. */
  policy?: string;
  /** See FaultDetails.retryAfterSeconds. */
  retryAfterSeconds?: number;
}

/** An error response about to be sent: status, flat header list, body. */
export interface ErrorResponse {
  status: number;
  headers: string[];
  body: string | Uint8Array;
}

const none = (): undefined => undefined;

/** The default: no policies anywhere. */
export const NO_FLOWS: FlowRunner = Object.freeze({
  onListenerRequest: none,
  onRouteRequest: none,
  onUpstreamResponse: none,
  onGatewayResponse: none,
  onFault: none,
});
