import type { Readable } from "node:stream";
import type { UpstreamBackend, UpstreamTarget } from "../backends.js";
import type { Exchange } from "../exchange.js";
import { tryFailureOf } from "../upstream-errors.js";

/**
 * Bookkeeping of the tries of one upstream exchange: in-flight counts per target (least-request),
 * passive health (outlier detection), the per-try timeout, and the retry decision. A retry is only
 * decided before anything of the response went to the client; the pipeline sends it with `resend`.
 */

export type Resend = (ex: Exchange, target: UpstreamTarget) => void;

/**
 * Whether to read the request body into memory before the first try, so it can be retried or mirrored:
 * only a declared body of at most retries.bufferBytes, on a method this backend may retry (or mirror).
 */
export function bufferBodyFirst(ex: Exchange, backend: UpstreamBackend, contentLength: string | undefined): boolean {
  if (contentLength === undefined || contentLength === "0") return false;
  const { retries } = backend.config;
  const useful = backend.mirror !== undefined || (retries.attempts > 0 && backend.retryMethods.has(ex.method));
  return useful && Number(contentLength) <= retries.bufferBytes;
}

export function startTry(ex: Exchange, backend: UpstreamBackend, target: UpstreamTarget): void {
  if (ex.attempt === 0) backend.budget.enter();
  ex.target = target;
  ex.tryTimedOut = false;
  target.active++;
  const perTry = backend.config.retries.perTryTimeoutMs;
  if (perTry !== undefined) ex.tryTimer = setTimeout(onTryTimeout, perTry, ex);
}

function onTryTimeout(ex: Exchange): void {
  ex.tryTimedOut = true;
  ex.upstreamAbort?.abort();
}

/** The try's response head arrived (the per-try timeout covers the wait for it). */
export function headArrived(ex: Exchange): void {
  clearTimeout(ex.tryTimer);
}

/** The exchange is done with its backend (its last try ended, or a retry never started): out of the budget. */
function leaveBudget(ex: Exchange): void {
  (ex.backend as UpstreamBackend).budget.leave(ex.attempt > 0);
}

/** The try is over (failed, or its response body ended or was dropped). Safe to call twice. */
export function endTry(ex: Exchange): void {
  clearTimeout(ex.tryTimer);
  const target = ex.target;
  if (target === undefined) return;
  ex.target = undefined;
  target.active--;
}

const TRY_OF = Symbol("portcullis.try");

/**
 * Ends the try when this response body closes, however it closes; at once unless the backend balances by
 * least-request, the only reader of the in-flight count (so other policies pay no listener per request).
 */
export function endTryWithBody(ex: Exchange, body: Readable): void {
  if ((ex.backend as UpstreamBackend).config.loadBalancing.policy !== "least-request") return endLastTry(ex);
  (body as Readable & { [TRY_OF]?: Exchange })[TRY_OF] = ex;
  body.once("close", onBodyClose);
}

function onBodyClose(this: Readable & { [TRY_OF]?: Exchange }): void {
  endLastTry(this[TRY_OF]!);
}

function endLastTry(ex: Exchange): void {
  if (ex.target === undefined) return;
  endTry(ex);
  leaveBudget(ex);
}

/** After a failed try: records it, and returns true when a retry was scheduled. */
export function retryAfterError(ex: Exchange, error: Error, resend: Resend): boolean {
  const target = ex.target;
  endTry(ex);
  if (target === undefined) return false;
  const backend = ex.backend as UpstreamBackend;
  if (ex.clientGone || ex.timedOut || error.name === "BodyTooLargeError") {
    leaveBudget(ex);
    return false;
  }
  const failure = tryFailureOf(error, ex.tryTimedOut);
  backend.outliers.failure(target.index);
  if (backend.config.retries.on.includes(failure) && scheduleRetry(ex, backend, target, resend)) return true;
  leaveBudget(ex);
  return false;
}

/** After a response head: records it, and returns true when the answer is dropped for a retry. */
export function retryAfterStatus(ex: Exchange, status: number, body: Readable & { dump(): Promise<void> }, resend: Resend): boolean {
  headArrived(ex);
  const backend = ex.backend as UpstreamBackend;
  const target = ex.target!;
  if (status >= 500) backend.outliers.failure(target.index);
  else backend.outliers.success(target.index);
  if (ex.clientGone || !backend.config.retries.statuses.includes(status) || !scheduleRetry(ex, backend, target, resend)) return false;
  endTry(ex);
  body.dump().catch(() => undefined); // read a little so the connection can be reused
  return true;
}

function scheduleRetry(ex: Exchange, backend: UpstreamBackend, failed: UpstreamTarget, resend: Resend): boolean {
  const { retries } = backend.config;
  if (ex.attempt >= retries.attempts || !ex.replayable || !backend.retryMethods.has(ex.method)) return false;
  const next = pickOther(ex, backend, failed);
  if (next === undefined || !backend.budget.tryRetry(ex.attempt > 0)) return false;
  const ceiling = Math.min(retries.backoff.maxMs, retries.backoff.baseMs * 2 ** ex.attempt);
  ex.attempt++;
  ex.retryTimer = setTimeout(retryNow, Math.random() * ceiling, ex, next, resend); // full jitter
  return true;
}

/** The backoff is over: the retry's try starts, unless the exchange ended meanwhile (then it leaves the budget). */
function retryNow(ex: Exchange, next: UpstreamTarget, resend: Resend): void {
  resend(ex, next);
  if (ex.target === undefined) leaveBudget(ex);
}

/** A target other than the one that just failed, when the balancer offers one within a round. */
function pickOther(ex: Exchange, backend: UpstreamBackend, failed: UpstreamTarget): UpstreamTarget | undefined {
  let next = backend.balancer.pick(ex);
  for (let i = 1; next === failed && i < backend.targets.length; i++) next = backend.balancer.pick(undefined);
  return next;
}
