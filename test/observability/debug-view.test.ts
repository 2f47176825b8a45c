import { request as httpRequest, type ClientRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plugin } from "../runtime/support/policies.js";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { recordingUpstream, type RecordingUpstream } from "../support/recording-upstream.js";
import { rawRequest, stopAll, track } from "../support/servers.js";
import { buildMetered, waitFor } from "./support.js";

interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A client of /debug/requests reading server-sent events as they arrive. */
interface EventStream {
  status: number;
  events: StreamEvent[];
  request: ClientRequest;
}

function openStream(url: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { agent: false }, (res) => {
      const stream: EventStream = { status: res.statusCode ?? 0, events: [], request };
      let buffered = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffered += chunk;
        for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) stream.events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
        if (stream.status !== 200) buffered = "";
      });
      resolve(stream);
    });
    request.on("error", reject);
    request.end();
    track(async () => request.destroy());
  });
}

const requestEvents = (stream: EventStream) => stream.events.filter((e) => e.event === "request").map((e) => e.data);

/**
 * The live debug view through a running gateway: clients read the stream while requests run; each
 * gets the requests its CEL filter matches, with the route, every policy run or skipped (and why), its
 * decision, edits with credential-looking values redacted, timings and the upstream's answer.
 */
describe("live debug view (/debug/requests)", () => {
  let gateway: TestGateway;
  let upstream: RecordingUpstream;

  beforeAll(async () => {
    const metered = await buildMetered();
    upstream = await recordingUpstream();
    gateway = await startTestGateway(`
observability: { debug: { maxClients: 2 } }
plugins:
${plugin("tag")}${plugin("respond")}${plugin("misbehave")}${plugin("misbehave", "    limits: { failure: open }\n", "lenient")}  metered: { path: ${metered}, capabilities: { metrics: true } }
${routesYaml(`
      - name: tagged
        match: { path: { prefix: /tagged } }
        policies:
          request:
            - { plugin: metered }
            - { plugin: tag, name: skipped, with: { label: two }, when: "request.path == '/never'" }
            - { plugin: tag, name: one, with: { label: one } }
        backend: { url: "${upstream.url}" }
      - name: denied
        match: { path: { prefix: /denied } }
        policies: { request: [ { plugin: respond, name: deny, with: { status: 401, body: no } }, { plugin: tag, name: after, with: { label: after } } ] }
        backend: { url: "${upstream.url}" }
      - name: broken
        match: { path: { prefix: /broken } }
        policies: { request: [ { plugin: lenient }, { plugin: tag, name: still, with: { label: still } }, { plugin: misbehave }, { plugin: tag, name: never, with: { label: never } } ] }
        backend: { url: "${upstream.url}" }
`)}`);
  }, 60_000);

  afterAll(stopAll);

  it("streams matching requests with their route, policies, edits, timings and upstream answer", async () => {
    const debug = `${gateway.admin!.url}/debug/requests`;
    const tagged = await openStream(`${debug}?filter=${encodeURIComponent('request.route == "tagged"')}`);
    const failing = await openStream(`${debug}?filter=${encodeURIComponent("response.status >= 400")}`);
    await waitFor(
      async () => [tagged, failing],
      (streams) => streams.every((s) => s.events[0]?.event === "ready"),
    );
    expect(tagged.events[0]!.data).toEqual({ filter: 'request.route == "tagged"' });

    expect((await rawRequest(gateway.url("/tagged/x"), { headers: { authorization: "Bearer abc.def.ghi", "x-mine": "visible" } })).status).toBe(200);
    expect((await rawRequest(gateway.url("/denied"))).status).toBe(401);
    expect((await rawRequest(gateway.url("/tagged/y?q=1"))).status).toBe(200);
    await waitFor(
      async () => [tagged, failing],
      ([a, b]) => requestEvents(a!).length >= 2 && requestEvents(b!).length >= 1,
    );

    const [first, second] = requestEvents(tagged);
    expect(requestEvents(tagged)).toHaveLength(2);
    expect(first).toMatchObject({
      listener: "main",
      route: "tagged",
      request: { method: "GET", target: "/tagged/x", client: "127.0.0.1" },
      response: { status: 200 },
      upstream: { attempts: 1, status: 200, errors: [] },
    });
    const headers = new Map((first!.request as { headers: Array<[string, string]> }).headers);
    expect(headers.get("authorization")).toBe("[redacted]");
    expect(headers.get("x-mine")).toBe("visible");
    const policies = first!.policies as Array<Record<string, unknown>>;
    expect(policies.map((p) => [p.policy, p.ran, p.decision, p.skipped])).toEqual([
      ["metered", true, "continue", undefined],
      ["skipped", false, undefined, "its when: condition was false"],
      ["one", true, "continue", undefined],
    ]);
    expect(policies[0]!.edits).toMatchObject({
      headers: [
        { op: "set", name: "x-upstream-token", value: "[redacted]" },
        { op: "set", name: "x-metered", value: "yes" },
      ],
    });
    expect(policies[2]!.edits).toMatchObject({
      headers: [
        { op: "append", name: "x-order", value: "one" },
        { op: "append", name: "x-previous", value: "none" },
      ],
      metadata: [{ op: "set", key: "last" }],
    });
    for (const policy of [policies[0]!, policies[2]!]) expect(policy.ms).toBeGreaterThan(0);
    expect(first!.durationMs).toBeGreaterThan(0);
    expect((first!.upstream as { ms: number }).ms).toBeGreaterThan(0);
    // Redaction is for display only: the upstream got the policy's header as set.
    expect(upstream.received[0]!.headers["x-upstream-token"]).toBe("s3cr3t-value");
    expect(second).toMatchObject({ route: "tagged", request: { target: "/tagged/y?q=1" } });

    expect(requestEvents(failing)).toHaveLength(1);
    expect(requestEvents(failing)[0]).toMatchObject({
      route: "denied",
      upstream: null,
      response: { status: 401, error: "PCS_ERR_POLICY_REJECTED" },
      policies: [
        { policy: "deny", ran: true, decision: "respond", edits: { status: 401, bodyBytes: 2 } },
        { policy: "after", ran: false, skipped: "not reached: an earlier policy ended the flow" },
      ],
    });
    tagged.request.destroy();
    failing.request.destroy();
  });

  it("tells a failure that ends the flow from one its failure mode lets through", async () => {
    const stream = await waitFor(
      () => openStream(`${gateway.admin!.url}/debug/requests?filter=${encodeURIComponent('request.route == "broken"')}`),
      (s) => s.status === 200,
    );
    await waitFor(
      async () => stream,
      (s) => s.events[0]?.event === "ready",
    );
    expect((await rawRequest(gateway.url("/broken"), { headers: { "x-misbehave": "trap" } })).status).toBe(500);
    await waitFor(
      async () => stream,
      (s) => requestEvents(s).length >= 1,
    );
    expect(requestEvents(stream)[0]).toMatchObject({
      route: "broken",
      upstream: null,
      response: { status: 500, error: "PCS_ERR_POLICY_TRAPPED" },
      policies: [
        { policy: "lenient", ran: true, failure: "PCS_ERR_POLICY_TRAPPED", failedOpen: true },
        { policy: "still", ran: true, decision: "continue" },
        { policy: "misbehave", ran: true, failure: "PCS_ERR_POLICY_TRAPPED" },
        { policy: "never", ran: false, skipped: "not reached: an earlier policy ended the flow" },
      ],
    });
    expect((requestEvents(stream)[0]!.policies as Array<Record<string, unknown>>)[2]!.failedOpen).toBeUndefined();
    stream.request.destroy();
  });

  it("refuses a filter that is not CEL, and streams past observability.debug.maxClients", async () => {
    const debug = `${gateway.admin!.url}/debug/requests`;
    const bad = await rawRequest(`${debug}?filter=${encodeURIComponent("request.path ==")}`);
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: "PCS_ERR_DEBUG_FILTER" });

    // The first test's clients have gone; the view notices when their sockets close. HEAD answers at once.
    const head = await waitFor(
      () => rawRequest(debug, { method: "HEAD" }),
      (r) => r.status === 200,
    );
    expect(head.headers["content-type"]).toBe("text/event-stream");
    const open = [await openStream(debug), await openStream(debug)];
    await waitFor(
      async () => open,
      (streams) => streams.every((s) => s.events.length > 0),
    );
    const refused = await rawRequest(debug);
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ code: "PCS_ERR_DEBUG_BUSY" });
    // A client that leaves frees its place.
    open[0]!.request.destroy();
    const again = await waitFor(
      () => openStream(debug),
      (stream) => stream.status === 200,
    );
    expect(again.status).toBe(200);
  });
});
