import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { HttpErrorCode } from "../errors.js";
import type { Exchange } from "./exchange.js";
import type { FaultDetails, FlowDecision } from "./flow-runner.js";

/**
 * A text/event-stream answer handed to the response flow event by event (docs/policies.md, "Streamed
 * answers"): the flow runs once on the head, then once per event with the event as the body, then once
 * at the end; each event is written to the client as soon as its flow returns, so streaming stays
 * streaming. Events are read one at a time (the upstream is not read ahead), so a slow client or a slow
 * policy slows the upstream rather than filling memory.
 */

export type EventPhase = "head" | "event" | "end";

/** continue: send `body` in place of the event (undefined: the event as it came; empty: nothing). */
export type EventDecision = { action: "continue"; body: Uint8Array | undefined } | Exclude<FlowDecision, { action: "continue" }>;

/** Runs the response flow on one phase; `body` is the event's bytes (undefined for head and end). */
export type EventStep = (phase: EventPhase, body: Uint8Array | undefined) => Promise<EventDecision>;

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

export function isEventStream(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === "content-type") return /^\s*text\/event-stream\s*(;|$)/i.test(rawHeaders[i + 1]!);
  }
  return false;
}

export function streamEvents(ex: Exchange, body: Readable, flow: EventFlow, hooks: EventHooks): void {
  relay(ex, body, flow.step, flow.maxEventBytes, hooks).catch((error: unknown) => hooks.failed(ex, error));
}

async function relay(ex: Exchange, body: Readable, step: EventStep, maxEventBytes: number, hooks: EventHooks): Promise<void> {
  const head = await step("head", undefined);
  if (head.action !== "continue") return hooks.refuse(ex, head);
  const { res } = ex;
  if (ex.clientGone || body.destroyed) return discard(ex, body);
  if (ex.listener.gateway.draining) res.shouldKeepAlive = false;
  // Events may be rewritten: the length is the policies' to decide, so the answer is chunked.
  res.writeHead(ex.responseStatus, withoutLength(ex.responseHeaders!));
  res.flushHeaders();
  const splitter = new EventSplitter();
  try {
    for await (const chunk of body) {
      for (const event of splitter.push(chunk as Buffer)) {
        if (event.length > maxEventBytes) return tooLarge(ex, body, maxEventBytes, hooks);
        if (!(await forward(ex, step, "event", event, hooks))) return discard(ex, body);
      }
      if (splitter.pendingBytes > maxEventBytes) return tooLarge(ex, body, maxEventBytes, hooks);
    }
  } catch {
    return; // the upstream failed or the client left: the pipeline's error listeners handled it
  }
  ex.upstreamEndedAt = performance.now();
  clearTimeout(ex.totalTimer);
  const rest = splitter.end();
  if (rest !== undefined && !(await forward(ex, step, "event", rest, hooks))) return;
  if (!(await forward(ex, step, "end", undefined, hooks))) return;
  res.end();
}

function tooLarge(ex: Exchange, body: Readable, maxEventBytes: number, hooks: EventHooks): void {
  discard(ex, body);
  hooks.fault(ex, "PCS_ERR_RESPONSE_TOO_LARGE", { detail: `an event of the stream passed ${maxEventBytes} bytes` });
}

/** One phase through the flow, its bytes to the client; false when the stream must stop. */
async function forward(ex: Exchange, step: EventStep, phase: EventPhase, event: Uint8Array | undefined, hooks: EventHooks): Promise<boolean> {
  const decision = await step(phase, event);
  if (ex.clientGone) return false;
  if (decision.action !== "continue") {
    discard(ex, ex.upstreamBody);
    // The head is sent: the only honest signal left is to cut the stream (fault resets the connection).
    const code = decision.action === "fault" ? decision.code : "PCS_ERR_POLICY_REJECTED";
    hooks.fault(ex, code, decision.action === "fault" ? decision : { detail: `a response policy answered ${decision.status} inside an event stream` });
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
