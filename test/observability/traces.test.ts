import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plugin } from "../runtime/support/policies.js";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { recordingUpstream, type RecordingUpstream } from "../support/recording-upstream.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./otlp-receiver.js";
import { waitFor } from "./support.js";

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

function gatewayYaml(upstream: string, traces: string): string {
  return `
${traces}
plugins:
${plugin("tag")}
${routesYaml(`
      - name: tagged
        match: { path: { prefix: /tagged } }
        policies: { request: [ { plugin: tag, name: one, with: { label: one } }, { plugin: tag, name: skipped, with: { label: two }, when: "request.path == '/never'" } ] }
        backend: { url: "${upstream}" }
`)}`;
}

/**
 * Traces through a running gateway: a real OTLP/HTTP receiver the test starts, and an upstream that
 * records the traceparent it gets. The client's trace is continued, policy calls and the upstream
 * attempt are child spans, the upstream sees the upstream span's context; unsampled traces still pass
 * their context on but export nothing; tracing is off by default.
 */
describe("traces over OTLP/HTTP", () => {
  let receiver: OtlpReceiver;
  let upstream: RecordingUpstream;
  let gateway: TestGateway;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    upstream = await recordingUpstream();
    gateway = await startTestGateway(
      gatewayYaml(
        upstream.url,
        `observability: { traces: { enabled: true, endpoint: "${receiver.url}/v1/traces", sampling: 1, batchDelayMs: 50, serviceName: edge } }`,
      ),
    );
  }, 30_000);

  afterAll(stopAll);

  const spansOf = (traceId: string, count: number) =>
    waitFor(
      async () => receiver.spans.filter((s) => s.traceId === traceId),
      (spans) => spans.length >= count,
    );

  it("continues the client's trace: a server span, a span per policy call and per upstream attempt, traceparent passed upstream", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const clientSpan = "00f067aa0ba902b7";
    const response = await rawRequest(gateway.url("/tagged/a"), { headers: { traceparent: `00-${traceId}-${clientSpan}-01` } });
    expect(response.status).toBe(200);

    const spans = await spansOf(traceId, 3);
    expect(spans).toHaveLength(3);
    const server = only(spans, (s) => s.kind === SERVER);
    const policy = only(spans, (s) => s.name === "policy one");
    const upstreamSpan = only(spans, (s) => s.kind === CLIENT);

    expect(server.parentSpanId).toBe(clientSpan);
    expect(server.name).toBe("GET tagged");
    expect(server.serviceName).toBe("edge");
    expect(server.attributes).toMatchObject({
      "http.request.method": "GET",
      "http.route": "tagged",
      "http.response.status_code": 200,
      "url.path": "/tagged/a",
    });

    expect(policy.parentSpanId).toBe(server.spanId);
    expect(policy.attributes).toMatchObject({ "portcullis.policy": "one", "portcullis.flow": "request", "portcullis.decision": "continue" });
    expect(Number(policy.attributes["portcullis.duration_ms"])).toBeGreaterThan(0);
    // The policy ran inside the request, and before the upstream was called.
    expect(policy.startNs).toBeGreaterThanOrEqual(server.startNs);
    expect(policy.endNs).toBeLessThanOrEqual(upstreamSpan.startNs);
    expect(upstreamSpan.endNs).toBeLessThanOrEqual(server.endNs);

    expect(upstreamSpan.parentSpanId).toBe(server.spanId);
    expect(upstreamSpan.attributes).toMatchObject({ "http.response.status_code": 200, "portcullis.attempt": 1 });
    // The policy skipped by its when: made no span.
    expect(spans.some((s) => s.name === "policy skipped")).toBe(false);

    const forwarded = upstream.received.at(-1)!.headers.traceparent;
    expect(forwarded).toBe(`00-${traceId}-${upstreamSpan.spanId}-01`);
    expect(receiver.contentTypes.every((type) => type.startsWith("application/json"))).toBe(true);
  });

  it("starts a trace when the client sent none", async () => {
    await rawRequest(gateway.url("/tagged/b"));
    const forwarded = upstream.received.at(-1)!.headers.traceparent as string;
    const [, traceId, spanId, flags] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(forwarded)!;
    expect(flags).toBe("01");
    const spans = await spansOf(traceId!, 3);
    const server = only(spans, (s) => s.kind === SERVER);
    expect(server.parentSpanId).toBe("");
    expect(only(spans, (s) => s.kind === CLIENT).spanId).toBe(spanId);
  });

  it("makes a span per upstream try: a reset first try, then the retry the upstream answers", async () => {
    let tries = 0;
    const seen: Array<string | undefined> = [];
    const flaky = await startUpstream((req, res) => {
      seen.push(req.headers.traceparent as string | undefined);
      if (++tries === 1) return void req.socket.destroy(); // reset before any answer: GET is retried
      res.end("second try");
    });
    const retrying = await startTestGateway(
      gatewayYaml(flaky.url, `observability: { traces: { enabled: true, endpoint: "${receiver.url}/v1/traces", sampling: 1, batchDelayMs: 50 } }`),
    );
    const traceId = "9bf92f3577b34da6a3ce929d0e0e473b";
    const response = await rawRequest(retrying.url("/tagged"), { headers: { traceparent: `00-${traceId}-00f067aa0ba902bc-01` } });
    expect(response.body.toString()).toBe("second try");
    const spans = await spansOf(traceId, 4);
    const server = only(spans, (s) => s.kind === SERVER);
    const attempts = spans
      .filter((s) => s.kind === CLIENT)
      .sort((a, b) => Number(a.attributes["portcullis.attempt"]) - Number(b.attributes["portcullis.attempt"]));
    expect(attempts.map((s) => [s.attributes["portcullis.attempt"], s.statusCode, s.attributes["error.type"]])).toEqual([
      [1, ERROR, "PCS_ERR_UPSTREAM_RESET"],
      [2, 0, undefined],
    ]);
    for (const attempt of attempts) expect(attempt.parentSpanId).toBe(server.spanId);
    // Each try carried its own span's context upstream.
    expect(seen).toEqual(attempts.map((s) => `00-${traceId}-${s.spanId}-01`));
  });

  it("records an upstream failure on the attempt and the request span", async () => {
    const traceId = "5bf92f3577b34da6a3ce929d0e0e4737";
    upstream.server.closeAllConnections();
    await upstream.close();
    const response = await rawRequest(gateway.url("/tagged/c"), { method: "POST", headers: { traceparent: `00-${traceId}-00f067aa0ba902b8-01` } });
    expect(response.status).toBe(502);
    const spans = await spansOf(traceId, 3);
    const server = only(spans, (s) => s.kind === SERVER);
    const attempt = only(spans, (s) => s.kind === CLIENT);
    expect(attempt.statusCode).toBe(ERROR);
    expect(attempt.attributes["error.type"]).toBe("PCS_ERR_UPSTREAM_UNREACHABLE");
    expect(server.statusCode).toBe(ERROR);
    expect(server.attributes).toMatchObject({ "http.response.status_code": 502, "error.type": "PCS_ERR_UPSTREAM_UNREACHABLE" });
  });
});

describe("trace sampling and the default", () => {
  afterAll(stopAll);

  it("passes an unsampled client's context on and exports nothing for it", async () => {
    const receiver = await startOtlpReceiver();
    const upstream = await recordingUpstream();
    const gateway = await startTestGateway(
      gatewayYaml(upstream.url, `observability: { traces: { enabled: true, endpoint: "${receiver.url}/v1/traces", sampling: 1, batchDelayMs: 20 } }`),
    );
    const traceId = "6bf92f3577b34da6a3ce929d0e0e4738";
    await rawRequest(gateway.url("/tagged"), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b9-00` } });
    const forwarded = upstream.received.at(-1)!.headers.traceparent as string;
    expect(forwarded).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    // A sampled request afterwards is exported: the unsampled one would have been by then too.
    const sampled = "7bf92f3577b34da6a3ce929d0e0e4739";
    await rawRequest(gateway.url("/tagged"), { headers: { traceparent: `00-${sampled}-00f067aa0ba902ba-01` } });
    await waitFor(
      async () => receiver.spans,
      (spans) => spans.some((s) => s.traceId === sampled && s.kind === SERVER),
    );
    await gateway.close(); // flushes
    expect(receiver.spans.filter((s) => s.traceId === traceId)).toEqual([]);
  });

  it("with sampling 0 records no new trace but still sends a traceparent upstream", async () => {
    const receiver = await startOtlpReceiver();
    const upstream = await recordingUpstream();
    const gateway = await startTestGateway(
      gatewayYaml(upstream.url, `observability: { traces: { enabled: true, endpoint: "${receiver.url}/v1/traces", sampling: 0, batchDelayMs: 20 } }`),
    );
    for (let i = 0; i < 5; i++) expect((await rawRequest(gateway.url("/tagged"))).status).toBe(200);
    await gateway.close();
    expect(receiver.spans).toEqual([]);
    expect(upstream.received.map((r) => r.headers.traceparent)).toEqual(Array(5).fill(expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/)));
  });

  it("is off by default: the client's traceparent passes through untouched", async () => {
    const upstream = await recordingUpstream();
    const gateway = await startTestGateway(gatewayYaml(upstream.url, ""));
    const traceparent = "00-8bf92f3577b34da6a3ce929d0e0e473a-00f067aa0ba902bb-01";
    await rawRequest(gateway.url("/tagged"), { headers: { traceparent } });
    await rawRequest(gateway.url("/tagged"));
    expect(upstream.received.map((r) => r.headers.traceparent)).toEqual([traceparent, undefined]);
  });
});

function only(spans: ReceivedSpan[], test: (span: ReceivedSpan) => boolean): ReceivedSpan {
  const found = spans.filter(test);
  expect(found, JSON.stringify(spans.map((s) => s.name))).toHaveLength(1);
  return found[0]!;
}
