import { afterEach, describe, expect, it, vi } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../../../test/support/gateway.js";
import { rawRequest, stopAll } from "../../../test/support/servers.js";
import { echoUpstream } from "../../../test/support/counting-upstream.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";

afterEach(stopAll);

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

type Seen = { headers: Record<string, string> };

async function accessLine(gateway: TestGateway, path: string): Promise<Record<string, unknown>> {
  return vi.waitFor(() => {
    const line = gateway.logs.find((l) => l.msg === "request" && l.path === path);
    if (!line) throw new Error(`no access-log line for ${path} yet`);
    return line;
  });
}

describe("trace (gateway)", () => {
  it("runs the README example: keeps an incoming trace id upstream, on the response and in the access log", async () => {
    const upstream = await echoUpstream();
    const gateway = await startTestGateway(readmeExample("trace", upstream.url));
    const response = await rawRequest(gateway.url("/orders/1"), {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: "rojo=00f067aa0ba902b7,Invalid=1" },
    });
    expect(response.status, response.body.toString()).toBe(200);
    const seen = response.json<Seen>().headers;
    const [, traceId, spanId, flags] = TRACEPARENT.exec(seen.traceparent ?? "") ?? [];
    expect(traceId).toBe(TRACE_ID);
    expect(spanId).not.toBe(PARENT_ID);
    expect(flags).toBe("01");
    expect(seen.tracestate).toBe(`portcullis=${spanId},rojo=00f067aa0ba902b7`);
    expect(response.headers["x-trace-id"]).toBe(TRACE_ID);
    expect((await accessLine(gateway, "/orders/1")).metadata).toEqual({ "trace.traceId": TRACE_ID });
  });

  it("starts a new trace for a missing or invalid traceparent (dropping its tracestate), and on gateway errors", async () => {
    const upstream = await echoUpstream();
    const gateway = await startTestGateway(readmeExample("trace", upstream.url));
    const fresh = await rawRequest(gateway.url("/orders/new"), {
      headers: { traceparent: `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`, tracestate: "rojo=1" },
    });
    const seen = fresh.json<Seen>().headers;
    const [, traceId, spanId, flags] = TRACEPARENT.exec(seen.traceparent ?? "") ?? [];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(TRACE_ID);
    expect(flags).toBe("01");
    expect(seen.tracestate).toBe(`portcullis=${spanId}`);
    expect(fresh.headers["x-trace-id"]).toBe(traceId);
    expect((await accessLine(gateway, "/orders/new")).metadata).toEqual({ "trace.traceId": traceId });

    const other = await rawRequest(gateway.url("/orders/other"));
    expect(other.headers["x-trace-id"]).toMatch(/^[0-9a-f]{32}$/);
    expect(other.headers["x-trace-id"]).not.toBe(traceId);

    const notFound = await rawRequest(gateway.url("/unknown"));
    expect(notFound.status).toBe(404);
    expect(notFound.headers["x-trace-id"]).toMatch(/^[0-9a-f]{32}$/);
    expect((await accessLine(gateway, "/unknown")).metadata).toEqual({ "trace.traceId": notFound.headers["x-trace-id"] });
  });

  it("gives the trace id to later policies' expressions, and echoes traceparent when asked", async () => {
    const upstream = await echoUpstream();
    const gateway = await startTestGateway(`plugins:
  trace: { path: ${builtPolicy("trace")}, capabilities: { random: true } }
  headers: { path: ${builtPolicy("headers")}, capabilities: { expression: true } }
${routesYaml(`
      - name: api
        policies:
          request:
            - { plugin: trace, with: { sampled: false } }
            - { plugin: headers, with: { set: { x-trace: { expression: metadata.trace.traceId }, x-sampled: { expression: string(metadata.trace.sampled) } } } }
          response:
            - { plugin: trace, with: { response: { traceparent: true } } }
        backend: { url: "${upstream.url}" }`)}`);
    const response = await rawRequest(gateway.url("/"));
    const seen = response.json<Seen>().headers;
    const [, traceId, , flags] = TRACEPARENT.exec(seen.traceparent ?? "") ?? [];
    expect(flags).toBe("00");
    expect(seen["x-trace"]).toBe(traceId);
    expect(seen["x-sampled"]).toBe("false");
    expect(seen.tracestate).toBeUndefined();
    expect(response.headers.traceparent).toBe(seen.traceparent);
  });

  it("refuses an invalid configuration at load, naming the YAML line", async () => {
    const start = startTestGateway(`plugins:
  trace: { path: ${builtPolicy("trace")}, capabilities: { random: true } }
${routesYaml(`
      - name: api
        policies:
          request: [ { plugin: trace, with: { tracestateKey: "Upper Case" } } ]
        backend: { echo: true }`)}`);
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    expect(String(((await start.catch((e: unknown) => e)) as Error).message)).toMatch(/test\.yaml:\d+:\d+ .*policies\.request\[0\]\.with/);
  });
});
