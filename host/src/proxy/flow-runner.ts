import type { HttpErrorCode } from "../errors.js";
import type { Exchange } from "./exchange.js";
import type { EventFlow } from "./sse-events.js";

/**
 * The hook points of the request path, for the policy runtime (host/src/runtime/) to implement.
 * Each method returns `undefined` when no policy is attached at that point: the pipeline then goes on
 * synchronously, with no promise and no allocation. A returned promise is awaited before the next stage.
 *
 * Order (see pipeline.ts): listenerRequest -> route selection -> routeRequest -> upstream -> response;
 * fault runs for every error response the gateway produces itself.
 */
export interface FlowRunner {
  /** Listener-level request flow, before route selection; may change ex.method, path, query, rawHeaders. */
  listenerRequest(ex: Exchange): Promise<FlowDecision> | undefined;
  /** Route, operation (method) and backend request flows, in that order, after route selection. */
  routeRequest(ex: Exchange): Promise<FlowDecision> | undefined;
  /** Response flow on the upstream's head (ex.responseStatus, ex.responseHeaders), before anything is sent. */
  response(ex: Exchange): Promise<FlowDecision> | undefined;
  /** For a text/event-stream answer: the response flow event by event (sse-events.ts), or undefined to use `response`. */
  responseEvents?(ex: Exchange): EventFlow | undefined;
  /** Fault flow: may reshape the error response the gateway is about to send. */
  fault(ex: Exchange, fault: Fault, response: ErrorResponse): Promise<ErrorResponse> | undefined;
  /** Response flow on a complete response the gateway made itself (echo, directResponse backends). */
  answer(ex: Exchange, response: ErrorResponse): Promise<ErrorResponse> | undefined;
}

/**
 * continue: go on to the next stage (a request flow may have changed ex.method, path, query, rawHeaders
 * or set ex.requestBody); respond: answer with this response instead; fault: answer through the fault path.
 */
export type FlowDecision =
  | { action: "continue" }
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
  listenerRequest: none,
  routeRequest: none,
  response: none,
  fault: none,
  answer: none,
});
