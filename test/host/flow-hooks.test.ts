import { afterEach, describe, expect, it } from "vitest";
import { NO_FLOWS, type Exchange, type FlowRunner } from "../../host/src/index.js";
import { startTestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

/** What the upstream saw. */
async function reportingUpstream() {
  return startUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
}

const yaml = (url: string) => `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: up
        match: { path: { prefix: /up } }
        backend: { url: "${url}" }
      - name: other
        match: { path: { prefix: /other } }
        backend: { url: "${url}" }
`;

describe("FlowRunner hook points (what the policy runtime plugs into)", () => {
  it("calls the stages in order; a listener flow can change the request before route selection", async () => {
    const upstream = await reportingUpstream();
    const calls: string[] = [];
    const flows: FlowRunner = {
      ...NO_FLOWS,
      onListenerRequest: async (ex: Exchange) => {
        calls.push(`listener ${ex.path} route=${ex.route?.name}`);
        ex.path = "/other/rewritten";
        ex.rawHeaders = [...ex.rawHeaders, "x-added", "by-listener-policy"];
        return { action: "continue" };
      },
      onRouteRequest: (ex: Exchange) => {
        calls.push(`route ${ex.route?.name}`);
        ex.requestBody = Buffer.from("replaced body");
        return Promise.resolve({ action: "continue" });
      },
      onUpstreamResponse: async (ex: Exchange) => {
        calls.push(`response ${ex.responseStatus}`);
        ex.responseHeaders!.push("x-response-policy", "ran");
        return { action: "continue" };
      },
    };
    const gateway = await startTestGateway(yaml(upstream.url), { flows });
    const res = await rawRequest(gateway.url("/up/original"), { method: "POST", body: "original body" });
    expect(calls).toEqual(["listener /up/original route=undefined", "route other", "response 200"]);
    expect(res.headers["x-response-policy"]).toBe("ran");
    const seen = res.json<{ url: string; headers: Record<string, string>; body: string }>();
    expect(seen).toMatchObject({ url: "/other/rewritten", body: "replaced body" });
    expect(seen.headers).toMatchObject({ "x-added": "by-listener-policy", "content-length": "13" });
  });

  it("a request flow can answer directly (the upstream is not called) or raise a fault", async () => {
    let upstreamCalls = 0;
    const upstream = await startUpstream((_req, res) => (upstreamCalls++, res.end()));
    const flows: FlowRunner = {
      ...NO_FLOWS,
      onRouteRequest: async (ex: Exchange) =>
        ex.path.endsWith("/deny")
          ? { action: "respond", status: 401, headers: ["www-authenticate", "Bearer"], body: "no" }
          : { action: "fault", code: "PCS_ERR_UPSTREAM_TIMEOUT", message: "shaped by a test" },
    };
    const gateway = await startTestGateway(yaml(upstream.url), { flows });
    const denied = await rawRequest(gateway.url("/up/deny"));
    expect(denied.status).toBe(401);
    expect(denied.headers["www-authenticate"]).toBe("Bearer");
    const faulted = await rawRequest(gateway.url("/up/x"));
    expect(faulted.status).toBe(504);
    expect(faulted.json()).toMatchObject({ code: "PCS_ERR_UPSTREAM_TIMEOUT", message: "shaped by a test" });
    expect(upstreamCalls).toBe(0);
  });

  it("every gateway error goes through the fault flow, which can reshape it; a failing one falls back", async () => {
    const seen: string[] = [];
    const flows: FlowRunner = {
      ...NO_FLOWS,
      onFault: async (ex, fault, response) => {
        seen.push(fault.code);
        if (ex.path === "/broken") throw new Error("fault policy failed");
        return { ...response, status: 599, headers: [...response.headers, "x-fault", fault.code] };
      },
    };
    const gateway = await startTestGateway(yaml("http://127.0.0.1:9"), { flows });
    const shaped = await rawRequest(gateway.url("/nowhere"));
    expect(shaped.status).toBe(599);
    expect(shaped.headers["x-fault"]).toBe("PCS_ERR_ROUTE_NOT_FOUND");
    const fallback = await rawRequest(gateway.url("/broken"));
    expect(fallback.status).toBe(404);
    expect(fallback.json()).toMatchObject({ code: "PCS_ERR_ROUTE_NOT_FOUND" });
    expect(seen).toEqual(["PCS_ERR_ROUTE_NOT_FOUND", "PCS_ERR_ROUTE_NOT_FOUND"]);
  });

  it("a response flow can replace the upstream response", async () => {
    const upstream = await reportingUpstream();
    const flows: FlowRunner = {
      ...NO_FLOWS,
      onUpstreamResponse: async () => ({ action: "respond", status: 203, headers: ["content-type", "text/plain"], body: "masked" }),
    };
    const gateway = await startTestGateway(yaml(upstream.url), { flows });
    const res = await rawRequest(gateway.url("/up"));
    expect(res.status).toBe(203);
    expect(res.body.toString()).toBe("masked");
  });

  it("a flow runner that throws or rejects costs that request a 500, not the gateway", async () => {
    const upstream = await reportingUpstream();
    const flows: FlowRunner = {
      ...NO_FLOWS,
      onListenerRequest: (ex: Exchange) => {
        if (ex.path === "/up/throw") throw new Error("sync bug");
        return ex.path === "/up/reject" ? Promise.reject(new Error("async bug")) : undefined;
      },
      onUpstreamResponse: (ex: Exchange) => (ex.path === "/up/response-bug" ? Promise.reject(new Error("response bug")) : undefined),
    };
    const gateway = await startTestGateway(yaml(upstream.url), { flows });
    for (const path of ["/up/throw", "/up/reject", "/up/response-bug"]) {
      const res = await rawRequest(gateway.url(path));
      expect(res.status).toBe(500);
      expect(res.json()).toMatchObject({ code: "PCS_ERR_INTERNAL" });
    }
    expect((await rawRequest(gateway.url("/up/fine"))).status).toBe(200);
    expect(gateway.logs.filter((l) => l.msg === "request failed inside the gateway")).toHaveLength(3);
  });

  it("the default runner returns undefined synchronously at every hook (no promise on the zero-policy path)", () => {
    const ex = {} as Exchange;
    expect(NO_FLOWS.onListenerRequest(ex)).toBeUndefined();
    expect(NO_FLOWS.onRouteRequest(ex)).toBeUndefined();
    expect(NO_FLOWS.onUpstreamResponse(ex)).toBeUndefined();
    expect(NO_FLOWS.onFault(ex, { code: "PCS_ERR_INTERNAL", status: 500, message: "" }, { status: 500, headers: [], body: "" })).toBeUndefined();
  });
});
