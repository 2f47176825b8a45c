import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

const EVENTS = 8;
const GAP_MS = 80;
const CARD = "4111 1111 1111 1111";

/** What the upstream did for one request: events written, and whether the gateway hung up before the last. */
interface Served {
  written: number;
  aborted: boolean;
  closed: Promise<void>;
  /** The client has received `count` events: the upstream may send the next (see sseUpstream). */
  seen(count: number): void;
}

/**
 * An SSE upstream on 127.0.0.1: GET /stream?card=N sends EVENTS events (`id: i`, JSON data), event N
 * carrying a card number (none without `card`). Up to event N it goes in lock-step with the client: event
 * i is written once the test has seen i events, so an event reaching the client before the next is sent
 * is proven, not timed. After N it writes on its own, GAP_MS apart, until the end or until the
 * gateway hangs up.
 */
async function sseUpstream() {
  const served: Served[] = [];
  const upstream = await startUpstream((req, res) => {
    const card = Number(new URL(req.url!, "http://x").searchParams.get("card") ?? -1);
    let closed!: () => void;
    let seenCount = 0;
    let wake = () => {};
    const entry: Served = {
      written: 0,
      aborted: false,
      closed: new Promise((resolve) => (closed = resolve)),
      seen(count) {
        seenCount = count;
        wake();
      },
    };
    const turn = async (i: number) => {
      while (i <= card && seenCount < i && !res.destroyed) await new Promise<void>((resolve) => (wake = resolve));
      if (i > card && i > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    };
    served.push(entry);
    res.on("close", () => {
      entry.aborted = !res.writableFinished;
      closed();
      wake();
    });
    void send(res, card, entry, turn);
  });
  return Object.assign(upstream, { served });
}

async function send(res: ServerResponse, card: number, entry: Served, turn: (i: number) => Promise<void>): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (let i = 0; i < EVENTS; i++) {
    await turn(i);
    if (res.destroyed) return;
    const text = i === card ? `pay with ${CARD}` : `part ${i}`;
    res.write(`id: ${i}\ndata: ${JSON.stringify({ n: i, text })}\n\n`);
    entry.written++;
  }
  res.end();
}

/** pii-guard blocking cards in answers, event by event. */
function guardedGateway(upstream: string, runtime = ""): Promise<TestGateway> {
  return startTestGateway(`
plugins:
  pii-guard: { path: ${builtPolicy("pii-guard")}, capabilities: { log: true, regex: true }, limits: { timeoutMs: 2000 } }
${runtime}${routesYaml(`
      - name: sse
        policies:
          response: [ { plugin: pii-guard, with: { detectors: { card: block }, scan: { response: true } }, sseEvents: true } ]
        backend: { url: "${upstream}" }`)}`);
}

/** Reads a streamed answer to its end ("ended") or until the connection breaks ("cut"), telling `seen` each event count. */
async function readEvents(response: Response, seen: (count: number) => void = () => {}): Promise<{ events: string[]; outcome: "ended" | "cut" }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let outcome: "ended" | "cut" = "ended";
  try {
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      text += decoder.decode(part.value, { stream: true });
      seen(text.split("\n\n").length - 1);
    }
  } catch {
    outcome = "cut";
  }
  return { events: text.split("\n\n").filter(Boolean), outcome };
}

const numbers = (events: string[]) => events.filter((e) => e.startsWith("id: ")).map((e) => (JSON.parse(e.split("data: ")[1]!) as { n: number }).n);

/** Resolves when `served` closed, or rejects after `ms`: a connection the gateway kept open fails the test. */
const closedWithin = (served: Served, ms: number) =>
  Promise.race([served.closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`upstream still open after ${ms} ms`)), ms))]);

describe("a response policy refusing an event mid-stream (sseEvents: true)", () => {
  it("delivers the events before it as they come, then an error event with the code, cuts the stream, aborts the upstream, and serves the next request", async () => {
    const upstream = await sseUpstream();
    const gateway = await guardedGateway(upstream.url);
    const response = await fetch(gateway.url("/stream?card=3"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const first = upstream.served[0]!;
    const { events, outcome } = await readEvents(response, (count) => first.seen(count));

    // The events before the refused one, as sent, each delivered before the upstream sent the next (lock-step).
    expect(numbers(events)).toEqual([0, 1, 2]);
    expect(events[0]).toBe('id: 0\ndata: {"n":0,"text":"part 0"}');
    expect(events.at(-1)).toMatch(/^event: error\ndata: /);
    const { error } = JSON.parse(events.at(-1)!.split("data: ")[1]!) as { error: Record<string, unknown> };
    expect(error).toEqual({
      code: "PCS_ERR_POLICY_REJECTED",
      status: 502,
      message: expect.any(String),
      requestId: response.headers.get("x-request-id"),
    });
    expect(events).toHaveLength(4);
    expect(outcome).toBe("cut"); // no clean end: a client cannot take it for a whole stream
    expect(JSON.stringify(events)).not.toContain("1111");

    // The upstream was hung up on at the refused event: it did not get to send the rest.
    await closedWithin(first, 3_000);
    expect(first.aborted).toBe(true);
    expect(first.written).toBeLessThan(EVENTS);
    const access = gateway.logs.find((line) => line.msg === "request" && line.route === "sse");
    expect(access?.error).toBe("PCS_ERR_POLICY_REJECTED");

    const next = await fetch(gateway.url("/stream"));
    const whole = await readEvents(next, (count) => upstream.served[1]!.seen(count));
    expect(whole.outcome).toBe("ended");
    expect(numbers(whole.events)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(whole.events.some((e) => e.startsWith("event: error"))).toBe(false);
    await closedWithin(upstream.served[1]!, 3_000);
    expect(upstream.served[1]!.aborted).toBe(false);
  });

  it("ends with an error event naming PCS_ERR_RESPONSE_TOO_LARGE when one event passes runtime.maxBodyBytes", async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"n":0}\n\n');
      setTimeout(() => res.end(`data: ${"x".repeat(4096)}\n\n`), GAP_MS);
    });
    const gateway = await guardedGateway(upstream.url, "runtime: { maxBodyBytes: 1024 }\n");
    const response = await fetch(gateway.url("/stream"));
    const { events, outcome } = await readEvents(response);
    expect(outcome).toBe("cut");
    expect(events[0]).toBe('data: {"n":0}');
    expect(JSON.parse(events[1]!.replace(/^event: error\ndata: /, ""))).toMatchObject({ error: { code: "PCS_ERR_RESPONSE_TOO_LARGE", status: 502 } });
    expect(events).toHaveLength(2);
  });
});
