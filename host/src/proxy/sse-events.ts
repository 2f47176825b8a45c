import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { HttpErrorCode } from "../errors.js";
import type { Exchange } from "./exchange.js";
import { faultOf } from "./error-response.js";
import type { FaultDetails, FlowDecision } from "./flow-runner.js";

/**
 * A text/event-stream answer handed to the response flow event by event (docs/policies.md, "Streamed
 * answers"): the flow runs once on the head, then on each event as it arrives (events that arrived
 * together in one call) with the event as the body, then once at the end; events are written to the
 * client as soon as their flow returns, so streaming stays streaming. The upstream is not read while a
 * flow runs or the client is slow, so either slows the upstream rather than filling memory.
 */

export type EventPhase = "head" | "event" | "end";

/** continue: send `body` in place of the event (undefined: the event as it came; empty: nothing). */
export type EventDecision = { action: "continue"; body: Uint8Array | undefined } | Exclude<FlowDecision, { action: "continue" }>;

/**
 * Runs the response flow on one phase; `body` is the bytes of `count` whole events that arrived together
 * (undefined for head and end).
 */
export type EventStep = (phase: EventPhase, body: Uint8Array | undefined, count: number) => Promise<EventDecision>;

export interface EventFlow {
  step: EventStep;
  /** The largest event handed to the flow; a larger one ends the stream (PCS_ERR_RESPONSE_TOO_LARGE). */
  maxEventBytes: number;
}

export interface EventHooks {
  /** Before anything is sent: a response flow that answered or failed (the pipeline's afterResponseFlow). */
  refuse(ex: Exchange, decision: FlowDecision): void;
  fault(ex: Exchange, code: HttpErrorCode, details?: FaultDetails): void;
  failed(ex: Exchange, error: unknown): void;
}

/**
 * A `text/event-stream` answer with no content coding: compressed bytes cannot be cut into events, so
 * such an answer is buffered whole for the policies as before (which may refuse it, as data-mask does).
 */
export function isEventStream(rawHeaders: readonly string[]): boolean {
  let eventStream = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === "content-type") eventStream = /^\s*text\/event-stream\s*(;|$)/i.test(rawHeaders[i + 1]!);
    else if (name === "content-encoding" && rawHeaders[i + 1]!.trim().toLowerCase() !== "identity") return false;
  }
  return eventStream;
}

export function streamEvents(ex: Exchange, body: Readable, flow: EventFlow, hooks: EventHooks): void {
  relay(ex, body, flow.step, flow.maxEventBytes, hooks).catch((error: unknown) => hooks.failed(ex, error));
}

async function relay(ex: Exchange, body: Readable, step: EventStep, maxEventBytes: number, hooks: EventHooks): Promise<void> {
  const head = await step("head", undefined, 0);
  if (head.action !== "continue") return hooks.refuse(ex, head);
  const { res } = ex;
  if (ex.clientGone || body.destroyed) return discard(ex, body);
  if (ex.listener.gateway.draining) res.shouldKeepAlive = false;
  // Events may be rewritten: the length is the policies' to decide, so the answer is chunked.
  res.writeHead(ex.responseStatus, withoutLength(ex.responseHeaders!));
  res.flushHeaders();
  let ended = false;
  const tracked: EventStep = (phase, event, count) => {
    if (phase === "end") ended = true;
    return step(phase, event, count);
  };
  try {
    await relayEvents(ex, body, tracked, maxEventBytes, hooks);
  } finally {
    // A stream cut short (the client left, the upstream broke, a policy refused) still gets its end phase,
    // its answer unused: what was streamed is settled (token-budget charges it), or a client could stop
    // reading just before the usage chunk and be charged nothing.
    if (!ended) await step("end", undefined, 0).catch(() => undefined);
  }
}

async function relayEvents(ex: Exchange, body: Readable, step: EventStep, maxEventBytes: number, hooks: EventHooks): Promise<void> {
  const splitter = new EventSplitter();
  try {
    for await (const chunk of body) {
      const events = splitter.push(chunk as Buffer);
      for (let i = 0; i < events.length; ) {
        // Events that arrived together go to the flow together, up to maxEventBytes: one crossing, not one each.
        let bytes = events[i]!.length;
        if (bytes > maxEventBytes) return tooLarge(ex, body, maxEventBytes, hooks);
        let end = i + 1;
        while (end < events.length && bytes + events[end]!.length <= maxEventBytes) bytes += events[end++]!.length;
        const batch = end === i + 1 ? events[i]! : Buffer.concat(events.slice(i, end), bytes);
        if (!(await forward(ex, step, "event", batch, hooks, end - i))) return discard(ex, body);
        i = end;
      }
      if (splitter.pendingBytes > maxEventBytes) return tooLarge(ex, body, maxEventBytes, hooks);
    }
  } catch (error) {
    // The upstream failed or the client left: the pipeline's error listeners handled it. Anything else is a bug.
    if (body.errored || ex.clientGone || ex.upstreamBody !== body) return;
    throw error;
  }
  ex.upstreamEndedAt = performance.now();
  clearTimeout(ex.totalTimer);
  const rest = splitter.end();
  if (rest !== undefined && !(await forward(ex, step, "event", rest, hooks))) return;
  if (!(await forward(ex, step, "end", undefined, hooks))) return;
  ex.res.end();
}

function tooLarge(ex: Exchange, body: Readable, maxEventBytes: number, hooks: EventHooks): void {
  discard(ex, body);
  cut(ex, "PCS_ERR_RESPONSE_TOO_LARGE", { detail: `an event of the stream passed ${maxEventBytes} bytes` }, hooks);
}

/** How long the closing error event may take to reach the socket before the connection is reset anyway. */
const ERROR_EVENT_FLUSH_MS = 1_000;

/**
 * Ends a stream whose head is sent (docs/policies.md, "Streamed answers"): the upstream is aborted at once,
 * the client gets one last event, `event: error` with `data: {"error":{code,status,message,requestId}}`
 * (the stable code, as in the gateway's JSON errors, in the shape OpenAI-compatible clients look for), and then the
 * connection is reset, so the chunked body never ends cleanly and a cut stream cannot pass for a whole one.
 */
function cut(ex: Exchange, code: HttpErrorCode, details: FaultDetails & { status?: number }, hooks: EventHooks): void {
  ex.upstreamAbort?.abort();
  ex.faultCode = code; // for the access log, should the client leave before the reset
  ex.faultDetail = details.detail;
  if (ex.clientGone || ex.res.writableEnded) return hooks.fault(ex, code, details);
  const fault = faultOf(code);
  const error = { code, status: details.status ?? fault.status, message: fault.message, requestId: ex.requestId };
  const event = `event: error\ndata: ${JSON.stringify({ error })}\n\n`;
  let reset = false;
  const resetOnce = () => {
    if (reset) return;
    reset = true;
    clearTimeout(timer);
    hooks.fault(ex, code, details);
  };
  const timer = setTimeout(resetOnce, ERROR_EVENT_FLUSH_MS).unref();
  ex.bytesSent += Buffer.byteLength(event);
  ex.res.write(event, resetOnce); // the reset waits for the event to reach the socket (or the deadline)
}

/** One phase through the flow, its bytes to the client; false when the stream must stop. */
async function forward(ex: Exchange, step: EventStep, phase: EventPhase, event: Uint8Array | undefined, hooks: EventHooks, count = 1): Promise<boolean> {
  const decision = await step(phase, event, count);
  if (ex.clientGone) return false;
  if (decision.action !== "continue") {
    discard(ex, ex.upstreamBody);
    // The head is sent: the only honest signal left is an error event and a cut stream.
    if (decision.action === "fault") cut(ex, decision.code, decision, hooks);
    else cut(ex, "PCS_ERR_POLICY_REJECTED", { status: decision.status, detail: `a response policy answered ${decision.status} inside an event stream` }, hooks);
    return false;
  }
  const bytes = decision.body ?? event;
  if (bytes === undefined || bytes.length === 0) return true;
  ex.bytesSent += bytes.length;
  if (!ex.res.write(bytes)) await drained(ex.res);
  return !ex.clientGone;
}

/** Stops reading the upstream; its abort error is then not reported as an upstream failure. */
function discard(ex: Exchange, body: Readable | undefined): void {
  ex.upstreamBody = undefined;
  body?.destroy();
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function withoutLength(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() !== "content-length") out.push(raw[i]!, raw[i + 1]!);
  return out;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts a byte stream into SSE events: an event ends at an empty line (LF, CRLF or CR line ends, as the
 * HTML standard's parser accepts), and keeps its bytes as they came, the empty line included. Blank
 * lines between events go with the next event. Works on bytes, so a UTF-8 character split across
 * chunks is never cut.
 */
export class EventSplitter {
  #buffer: Buffer = Buffer.alloc(0);
  /** Next byte of #buffer to look at. */
  #scan = 0;
  /** Where the line being scanned starts. */
  #lineStart = 0;
  /** Whether the buffer holds anything but blank lines. */
  #content = false;

  get pendingBytes(): number {
    return this.#buffer.length;
  }

  push(chunk: Buffer): Buffer[] {
    const buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const events: Buffer[] = [];
    let start = 0;
    let i = this.#scan;
    let lineStart = this.#lineStart;
    let content = this.#content;
    while (i < buffer.length) {
      const byte = buffer[i]!;
      if (byte !== LF && byte !== CR) {
        content = true;
        i++;
        continue;
      }
      if (byte === CR && i + 1 === buffer.length) break; // a CRLF may be split across chunks
      const next = byte === CR && buffer[i + 1] === LF ? i + 2 : i + 1;
      if (i === lineStart && content) {
        events.push(buffer.subarray(start, next));
        start = next;
        content = false;
      }
      lineStart = next;
      i = next;
    }
    this.#buffer = buffer.subarray(start);
    this.#scan = i - start;
    this.#lineStart = lineStart - start;
    this.#content = content;
    return events;
  }

  /** What is left at the end of the stream (an event with no closing empty line), if anything. */
  end(): Buffer | undefined {
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    this.#scan = this.#lineStart = 0;
    return rest.length > 0 ? rest : undefined;
  }
}
