import type { ErrorCode } from "../errors.js";
import { BodyTooLargeError } from "../proxy/body-limit.js";
import type { Exchange } from "../proxy/exchange.js";
import type { FlowResult } from "../runtime/flow-messages.js";
import type { PlanStep } from "../runtime/policy-plan.js";
import { classifyUpstreamError } from "../proxy/upstream-errors.js";

/** The flow a policy task ran. */
export type FlowKind = "request" | "response" | "fault";

/**
 * What the request path tells observers (metrics, traces, the live debug view), at its phase points.
 * pipeline.ts and the policy flows call these; every method must be cheap and must never throw.
 */
export interface RequestObserver {
  /** The request was accepted (before any policy or route selection). */
  onRequestStart(ex: Exchange): void;
  /**
   * An upstream attempt is about to start with these request headers (a flat name/value list the
   * observer may change, e.g. to pass trace context on).
   */
  onUpstreamStart(ex: Exchange, headers: string[]): void;
  /** The upstream attempt failed before a complete answer (see upstreamErrorCode), retried or not. */
  onUpstreamError(ex: Exchange, error: Error): void;
  /** A policy task ended: `steps` is the chain it was given, `result` carries each call's record. */
  onPolicyFlow(ex: Exchange, flow: FlowKind, steps: readonly PlanStep[], result: FlowResult): void;
  /** The response is complete or the client went away; `status` is what the client got. */
  onRequestEnd(ex: Exchange, status: number): void;
  /** True when the policy worker should describe each call's edits for this request (debug view). */
  wantsCallDetail(ex: Exchange): boolean;
}

const nothing = (): void => undefined;

/** No observer: every hook does nothing. */
export const NO_OBSERVER: RequestObserver = Object.freeze({
  onRequestStart: nothing,
  onUpstreamStart: nothing,
  onUpstreamError: nothing,
  onPolicyFlow: nothing,
  onRequestEnd: nothing,
  wantsCallDetail: () => false,
});

/**
 * One observer standing for several, called in order. A hook that throws (a bug) is reported to
 * `failed` and goes no further: observing a request must never fail it, nor the process.
 */
export function combineObservers(observers: readonly RequestObserver[], failed: (error: unknown) => void): RequestObserver {
  if (observers.length === 0) return NO_OBSERVER;
  const each = (call: (o: RequestObserver) => void): void => {
    for (const observer of observers) {
      try {
        call(observer);
      } catch (error) {
        failed(error);
      }
    }
  };
  return {
    onRequestStart: (ex) => each((o) => o.onRequestStart(ex)),
    onUpstreamStart: (ex, headers) => each((o) => o.onUpstreamStart(ex, headers)),
    onUpstreamError: (ex, error) => each((o) => o.onUpstreamError(ex, error)),
    onPolicyFlow: (ex, flow, steps, result) => each((o) => o.onPolicyFlow(ex, flow, steps, result)),
    onRequestEnd: (ex, status) => each((o) => o.onRequestEnd(ex, status)),
    wantsCallDetail: (ex) => {
      let wanted = false;
      each((o) => (wanted ||= o.wantsCallDetail(ex)));
      return wanted;
    },
  };
}

/** What the policy worker pool tells observers (the gateway's metrics). */
export interface PoolObserver {
  /** A worker started to replace one that ended (terminated past a time budget, or crashed). */
  onWorkerReplaced(): void;
  /** A plugin was quarantined for one client or for everyone. */
  onQuarantine(plugin: string, scope: "client" | "plugin"): void;
}

/**
 * The catalogue code of a failed upstream attempt, as the pipeline would answer it; undefined when
 * the upstream is not to blame (the client left, or its body was too large).
 */
export function upstreamErrorCode(ex: Exchange, error: Error): ErrorCode | undefined {
  if (ex.clientGone || error instanceof BodyTooLargeError) return undefined;
  return classifyUpstreamError(error, ex.timedOut || ex.tryTimedOut);
}
