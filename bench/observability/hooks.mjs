// CPU time of the observability hooks alone, per request, in this process (less sensitive to a busy
// machine than the load run): the gateway's observer with metrics on (and the debug view with no
// client, as by default), and with tracing alone at 1% sampling (an unsampled request still extracts
// and injects trace context), driven through the hooks a policy-free proxied request calls. Usage: node bench/observability/hooks.mjs [requests=200000]   (build first)
import { Observability } from "../../host/dist/observability/observability.js";

const requests = Number(process.argv[2] ?? 200_000);
const listener = { name: "bench" };
const route = { name: "up" };

/** The fields of an Exchange the hooks read, shaped as the pipeline leaves them. */
function exchange(i) {
  const startedAt = performance.now();
  return {
    method: "GET",
    path: "/bench",
    clientIp: "127.0.0.1",
    requestId: `r${i}`,
    listener,
    route,
    rawHeaders: ["host", "127.0.0.1", "user-agent", "bench", "accept", "*/*"],
    startedAt,
    upstreamStartedAt: startedAt + 0.01,
    upstreamEndedAt: startedAt + 0.2,
    upstreamMs: 0.19,
    responseStatus: 200,
    clientGone: false,
    timedOut: false,
    tryTimedOut: false,
  };
}

function measure(label, observer) {
  const run = (n) => {
    for (let i = 0; i < n; i++) {
      const ex = exchange(i);
      observer.onRequestStart(ex);
      observer.onUpstreamStart(ex, ["host", "upstream", "x-request-id", ex.requestId]);
      observer.onRequestEnd(ex, 200);
    }
  };
  run(20_000); // warm-up
  const before = process.cpuUsage();
  run(requests);
  const used = process.cpuUsage(before);
  return { label, usPerRequest: (used.user + used.system) / requests };
}

/** The gateway's observer for these settings, as startGateway builds it (debug view on, no client). */
function observability({ metrics = false, traces = false, debug = false }) {
  const tracesConfig = {
    enabled: traces,
    endpoint: "http://127.0.0.1:9/v1/traces",
    headers: {},
    sampling: 0.01,
    serviceName: "bench",
    batchDelayMs: 60_000,
    exportTimeoutMs: 1_000,
  };
  return new Observability({ metrics: { enabled: metrics }, traces: tracesConfig, debug: { enabled: debug, maxClients: 4 } });
}
const hubs = [observability({}), observability({ metrics: true, debug: true }), observability({ traces: true })];
const results = [measure("none (loop and exchange only)", hubs[0].observer), measure("metrics", hubs[1].observer), measure("traces 1%", hubs[2].observer)];
await Promise.all(hubs.map((hub) => hub.close().catch(() => undefined)));
const base = results[0].usPerRequest;
console.log(`observability hooks, ${requests} requests, CPU per request (node ${process.version})`);
for (const r of results) console.log(`  ${r.label.padEnd(30)} ${r.usPerRequest.toFixed(2)} us   (hooks: ${(r.usPerRequest - base).toFixed(2)} us)`);
