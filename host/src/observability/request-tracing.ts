import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type TextMapGetter, type TextMapSetter, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base";
import type { Exchange } from "../proxy/exchange.js";
import type { FlowResult } from "../runtime/flow-messages.js";
import type { PlanStep } from "../runtime/policy-plan.js";
import type { TracesConfig } from "./observability-schema.js";
import { policyCallsOf } from "./policy-calls.js";
import { upstreamErrorCode, type FlowKind, type RequestObserver } from "./request-observer.js";

interface RequestSpans {
  request: Span;
  /** The upstream attempt in flight (recorded requests only). */
  upstream: Span | undefined;
  attempts: number;
}

/** W3C trace context read from, and written to, flat [name, value, ...] header lists. */
const rawGetter: TextMapGetter<string[]> = {
  keys: (raw) => raw.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase()),
  get: (raw, key) => {
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === key) return raw[i + 1];
    return undefined;
  },
};
const rawSetter: TextMapSetter<string[]> = {
  set: (raw, key, value) => {
    raw.push(key, value);
  },
};
const TRACE_HEADERS = new Set(["traceparent", "tracestate"]);

/**
 * OpenTelemetry spans for each request: a server span from accept to close (continuing the client's
 * traceparent), a child span per policy call (placed from the worker's own timings) and a client span
 * per upstream attempt, whose context goes upstream as traceparent. Unsampled requests still pass
 * their context on, but record nothing. Exported in batches over OTLP/HTTP (JSON).
 */
export class RequestTracing implements RequestObserver {
  readonly #provider: BasicTracerProvider;
  readonly #tracer: Tracer;
  readonly #propagator = new W3CTraceContextPropagator();
  readonly #spans = new WeakMap<Exchange, RequestSpans>();

  constructor(config: TracesConfig) {
    const exporter = new OTLPTraceExporter({ url: config.endpoint, headers: config.headers, timeoutMillis: config.exportTimeoutMs });
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": config.serviceName }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampling) }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.batchDelayMs, exportTimeoutMillis: config.exportTimeoutMs })],
    });
    this.#tracer = this.#provider.getTracer("portcullis");
  }

  onRequestStart(ex: Exchange): void {
    const parent = this.#propagator.extract(ROOT_CONTEXT, ex.rawHeaders, rawGetter);
    const request = this.#tracer.startSpan(ex.method, { kind: SpanKind.SERVER, startTime: epochOf(ex.startedAt) }, parent);
    // An unsampled request (most, at a low ratio) only passes its context on: no attributes to build.
    if (request.isRecording()) {
      request.setAttributes({
        "http.request.method": ex.method,
        "url.path": ex.path,
        "client.address": ex.clientIp,
        "portcullis.listener": ex.listener.name,
        "portcullis.request_id": ex.requestId,
      });
    }
    this.#spans.set(ex, { request, upstream: undefined, attempts: 0 });
  }

  onUpstreamStart(ex: Exchange, headers: string[]): void {
    const spans = this.#spans.get(ex);
    if (!spans) return;
    endUpstream(spans, undefined);
    spans.attempts++;
    let carrier = spans.request;
    if (spans.request.isRecording()) {
      spans.upstream = this.#tracer.startSpan(
        "upstream",
        {
          kind: SpanKind.CLIENT,
          attributes: { "http.request.method": ex.method, "portcullis.attempt": spans.attempts },
        },
        trace.setSpan(ROOT_CONTEXT, spans.request),
      );
      carrier = spans.upstream;
    }
    for (let i = headers.length - 2; i >= 0; i -= 2) if (TRACE_HEADERS.has(headers[i]!.toLowerCase())) headers.splice(i, 2);
    this.#propagator.inject(trace.setSpan(ROOT_CONTEXT, carrier), headers, rawSetter);
  }

  onUpstreamError(ex: Exchange, error: Error): void {
    const spans = this.#spans.get(ex);
    if (spans) endUpstream(spans, upstreamErrorCode(ex, error) ?? "aborted");
  }

  onPolicyFlow(ex: Exchange, flow: FlowKind, steps: readonly PlanStep[], result: FlowResult): void {
    const spans = this.#spans.get(ex);
    if (!spans?.request.isRecording()) return;
    const parent = trace.setSpan(ROOT_CONTEXT, spans.request);
    for (const call of policyCallsOf(steps, result)) {
      if (!call.timing) continue;
      const { at, ms, decision } = call.timing;
      const span = this.#tracer.startSpan(
        `policy ${call.policy}`,
        {
          startTime: at,
          attributes: { "portcullis.policy": call.policy, "portcullis.flow": flow, "portcullis.decision": decision ?? "failed", "portcullis.duration_ms": ms },
        },
        parent,
      );
      if (call.failure !== undefined) {
        span.setAttribute("error.type", call.failure);
        if (!call.failedOpen) span.setStatus({ code: SpanStatusCode.ERROR, message: call.failure });
      }
      span.end(at + ms);
    }
  }

  onRequestEnd(ex: Exchange, status: number): void {
    const spans = this.#spans.get(ex);
    if (!spans) return;
    this.#spans.delete(ex);
    const { request } = spans;
    if (spans.upstream) endUpstream(spans, undefined, ex.upstreamEndedAt === 0 ? undefined : epochOf(ex.upstreamEndedAt), ex.responseStatus);
    if (!request.isRecording()) {
      request.end();
      return;
    }
    if (ex.route) {
      request.updateName(`${ex.method} ${ex.route.name}`);
      request.setAttribute("http.route", ex.route.name);
    }
    request.setAttribute("http.response.status_code", status);
    if (ex.faultCode) request.setAttribute("error.type", ex.faultCode);
    if (status >= 500 || ex.clientGone)
      request.setStatus({ code: SpanStatusCode.ERROR, message: ex.faultCode ?? (ex.clientGone ? "client went away" : undefined) });
    request.end();
  }

  wantsCallDetail(): boolean {
    return false;
  }

  /** Exports what is left, then stops. */
  async close(): Promise<void> {
    await this.#provider.shutdown();
  }
}

function endUpstream(spans: RequestSpans, code: string | undefined, endTime?: number, status?: number): void {
  const span = spans.upstream;
  if (!span) return;
  spans.upstream = undefined;
  if (status) span.setAttribute("http.response.status_code", status);
  if (code !== undefined) {
    span.setAttribute("error.type", code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  }
  span.end(endTime);
}

/** performance.now() of this thread -> milliseconds since the epoch. */
function epochOf(at: number): number {
  return performance.timeOrigin + at;
}
