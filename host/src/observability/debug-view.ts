import type { IncomingMessage, ServerResponse } from "node:http";
import type { AdminReply } from "../admin/admin-server.js";
import { compileExpression, evaluateCondition, type CompiledExpression } from "../capabilities/expression/cel.js";
import { expressionContextFrom } from "../capabilities/expression/expression-context.js";
import type { Exchange } from "../proxy/exchange.js";
import { headersOf, requestHeadOf } from "../runtime/exchange-heads.js";
import type { FlowResult } from "../runtime/flow-messages.js";
import type { PlanStep } from "../runtime/policy-plan.js";
import type { CallDetail } from "./call-detail.js";
import { policyCallsOf } from "./policy-calls.js";
import { redactHeaderValue } from "./redact-headers.js";
import { upstreamErrorCode, type FlowKind, type RequestObserver } from "./request-observer.js";

/** One client of the stream and its filter. */
interface Watcher {
  res: ServerResponse;
  filter: CompiledExpression | undefined;
  /** Events not sent because the client reads too slowly; reported on the next one sent. */
  dropped: number;
}

/** What the view gathers about one request while it runs. */
interface RequestRecord {
  policies: Array<Record<string, unknown>>;
  upstreamAttempts: number;
  upstreamErrors: string[];
  /** The upstream's status, caught before response policies change it. */
  upstreamStatus: number | undefined;
}

/** Past this many unsent bytes, a slow client misses events rather than growing the gateway's memory. */
const MAX_BUFFERED_BYTES = 1 << 20;
const KEEP_ALIVE_MS = 15_000;

/**
 * The live debug view: GET /debug/requests?filter=<CEL> on the admin listener streams (server-sent
 * events) one `request` event per finished request the filter matches, with the route chosen, each
 * policy run or skipped (and why), its decision, edits and time, and the upstream's answer. Costs
 * nothing while no client watches; requests that started before a client connected are not shown.
 */
export class DebugView implements RequestObserver {
  readonly #watchers = new Set<Watcher>();
  readonly #records = new WeakMap<Exchange, RequestRecord>();
  #sequence = 0;

  constructor(private readonly maxClients: number) {}

  /** The admin handler: a 400 or 503 reply, or undefined once it has taken the response over as a stream. */
  readonly subscribe = (req: IncomingMessage, res: ServerResponse): AdminReply | undefined => {
    const source = new URL(req.url ?? "/", "http://admin").searchParams.get("filter") ?? "";
    let filter: CompiledExpression | undefined;
    if (source.trim() !== "") {
      const compiled = compileExpression(source);
      if (compiled.tag === "err") {
        return { status: 400, body: { code: "PCS_ERR_DEBUG_FILTER", message: `the filter is not a valid CEL condition: ${compiled.val.val}` } };
      }
      filter = compiled.val;
    }
    if (this.#watchers.size >= this.maxClients) {
      return {
        status: 503,
        body: { code: "PCS_ERR_DEBUG_BUSY", message: `${this.maxClients} debug streams are open already (observability.debug.maxClients)` },
      };
    }
    if (req.method === "HEAD") return { status: 200, body: "", contentType: "text/event-stream" };
    const watcher: Watcher = { res, filter, dropped: 0 };
    this.#watchers.add(watcher);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" });
    res.write(`event: ready\ndata: ${JSON.stringify({ filter: source })}\n\n`);
    const ping = setInterval(() => res.write(": keep-alive\n\n"), KEEP_ALIVE_MS).unref();
    res.once("close", () => {
      clearInterval(ping);
      this.#watchers.delete(watcher);
    });
    return undefined;
  };

  onRequestStart(ex: Exchange): void {
    if (this.#watchers.size > 0) this.#records.set(ex, { policies: [], upstreamAttempts: 0, upstreamErrors: [], upstreamStatus: undefined });
  }

  onUpstreamStart(ex: Exchange): void {
    const record = this.#records.get(ex);
    if (record) record.upstreamAttempts++;
  }

  onUpstreamError(ex: Exchange, error: Error): void {
    this.#records.get(ex)?.upstreamErrors.push(upstreamErrorCode(ex, error) ?? "aborted");
  }

  onPolicyFlow(ex: Exchange, flow: FlowKind, steps: readonly PlanStep[], result: FlowResult): void {
    const record = this.#records.get(ex);
    if (!record) return;
    // Called before the flow's edits apply: the status is still the upstream's.
    if (flow === "response" && ex.upstreamStartedAt !== 0 && ex.responseStatus !== 0) record.upstreamStatus ??= ex.responseStatus;
    for (const call of policyCallsOf(steps, result)) {
      const entry: Record<string, unknown> = { flow, policy: call.policy, ran: call.called };
      if (call.timing?.decision) entry.decision = call.timing.decision;
      if (call.failure) entry.failure = call.failure;
      if (call.failedOpen) entry.failedOpen = true;
      if (call.skipped) entry.skipped = call.skipped;
      if (call.ms !== undefined) entry.ms = round(call.ms);
      if (call.timing?.detail) entry.edits = redactedEdits(call.timing.detail);
      record.policies.push(entry);
    }
  }

  onRequestEnd(ex: Exchange, status: number): void {
    const record = this.#records.get(ex);
    if (!record) return;
    this.#records.delete(ex);
    const matching = [...this.#watchers].filter((watcher) => matches(watcher.filter, ex, status));
    if (matching.length === 0) return;
    const event = JSON.stringify(describeRequest(ex, status, record));
    const id = ++this.#sequence;
    for (const watcher of matching) send(watcher, id, event);
  }

  wantsCallDetail(ex: Exchange): boolean {
    return this.#records.has(ex);
  }

  /** Ends every stream (the gateway is stopping). */
  close(): void {
    for (const watcher of this.#watchers) watcher.res.end();
    this.#watchers.clear();
  }
}

function send(watcher: Watcher, id: number, event: string): void {
  const { res } = watcher;
  if (res.writableLength > MAX_BUFFERED_BYTES) {
    watcher.dropped++;
    return;
  }
  if (watcher.dropped > 0) {
    res.write(`event: dropped\ndata: ${JSON.stringify({ events: watcher.dropped })}\n\n`);
    watcher.dropped = 0;
  }
  res.write(`event: request\nid: ${id}\ndata: ${event}\n\n`);
}

/** The filter sees the request as policies left it, the response status and headers, and metadata. */
function matches(filter: CompiledExpression | undefined, ex: Exchange, status: number): boolean {
  if (!filter) return true;
  const context = expressionContextFrom({
    request: requestHeadOf(ex),
    response: { status, headers: headersOf(ex.responseHeaders ?? []) },
    metadata: (ex.metadata ?? []).map(([key, value]) => ({ key, value })),
  });
  const result = evaluateCondition(filter, context);
  return result.tag === "ok" && result.val;
}

function describeRequest(ex: Exchange, status: number, record: RequestRecord): Record<string, unknown> {
  const received = ex.req;
  return {
    requestId: ex.requestId,
    time: new Date(performance.timeOrigin + ex.startedAt).toISOString(),
    listener: ex.listener.name,
    request: {
      method: received.method,
      target: received.url,
      headers: redactedHeaders(received.rawHeaders),
      client: ex.clientIp,
    },
    route: ex.route?.name ?? null,
    policies: record.policies,
    upstream:
      ex.upstreamStartedAt === 0
        ? null
        : {
            attempts: record.upstreamAttempts,
            status: record.upstreamStatus ?? (ex.responseStatus || undefined),
            errors: record.upstreamErrors,
            ms: round(ex.upstreamMs),
          },
    response: { status, error: ex.faultCode, aborted: ex.clientGone || undefined },
    durationMs: round(performance.now() - ex.startedAt),
  };
}

function redactedHeaders(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, redactHeaderValue(raw[i]!, raw[i + 1]!)]);
  return out;
}

function redactedEdits(detail: CallDetail): CallDetail {
  return {
    ...detail,
    headers: detail.headers.map((edit) => (edit.value === undefined ? edit : { ...edit, value: redactHeaderValue(edit.name, edit.value) })),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
