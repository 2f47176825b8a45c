import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../host/src/config/load-config.js";
import { FrameReader, FrameWriter } from "../../host/src/runtime/channel/frame-codec.js";
import { FrameRing } from "../../host/src/runtime/channel/frame-ring.js";
import { joinBody } from "../../host/src/runtime/read-body-if-fits.js";
import type { FlowResult } from "../../host/src/runtime/flow-messages.js";
import { PolicyRuntime, preparePolicies } from "../../host/src/runtime/policy-runtime.js";
import { routesYaml } from "../support/gateway.js";
import { policyPath } from "./support/policies.js";

const roundTrip = (value: unknown, copyBytes = true) => new FrameReader(new FrameWriter().write(value).bytes, copyBytes).read();

/** Header values no ASCII-only encoding would carry: bytes 0x80-0xff, controls, astral and lone surrogates. */
const ODD = ["caf\u00e9 \u00ff\u0080\u009f", "tab\there\u0000nul", "\u{1f600} \ud800 lone \udfff", "", " spaced "];

describe("policy channel framing", () => {
  it("round-trips a request head with odd bytes, numbers, absent values and unknown keys exactly", () => {
    const head = {
      method: "PATCH",
      path: "/a%2fb",
      headers: ODD.map((value, i) => ({ name: `x-odd-${i}`, value })),
      route: undefined,
      params: null,
      numbers: [0, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1.5, -0, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY],
      flags: [true, false],
      "a key the table does not know": { nested: [[], {}] },
    };
    const back = roundTrip(head) as typeof head;
    expect(back).toEqual(head);
    expect(Object.keys(back)).toEqual(Object.keys(head));
    expect("route" in back && back.route === undefined).toBe(true);
    expect(Object.is(back.numbers[6], -0)).toBe(true);
    // Route parameters are named by the configuration: "__proto__" stays a plain property.
    const params = roundTrip(JSON.parse('{"__proto__": "x", "id": "1"}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(params, "__proto__")?.value).toBe("x");
  });

  it("carries a large body byte for byte, copied out of shared memory or viewed in a buffer the reader owns", () => {
    const body = new Uint8Array(randomBytes(3 * 1024 * 1024));
    const bytes = new FrameWriter().write({ body }).bytes;
    const copied = (new FrameReader(bytes, true).read() as { body: Uint8Array }).body;
    const viewed = (new FrameReader(bytes, false).read() as { body: Uint8Array }).body;
    expect(Buffer.compare(copied, body)).toBe(0);
    expect(Buffer.compare(viewed, body)).toBe(0);
    bytes.fill(0);
    expect(copied[0] === body[0] && copied.at(-1) === body.at(-1)).toBe(true);
    expect(viewed.every((b) => b === 0)).toBe(true);
  });

  it("refuses a truncated frame and values it cannot carry", () => {
    const bytes = new FrameWriter().write({ path: "/long/enough/path" }).bytes;
    expect(() => new FrameReader(bytes.subarray(0, bytes.length - 3), true).read()).toThrow(/truncated|out of range|bounds/i);
    expect(() => new FrameWriter().write({ f: () => 1 })).toThrow(/cannot carry a function/);
  });
});

describe("frame ring", () => {
  it("returns every frame in order across many wraps, and refuses what does not fit until drained", () => {
    const ring = new FrameRing(1024);
    const writer = new FrameWriter();
    const sent: unknown[] = [];
    const received: unknown[] = [];
    for (let i = 0; i < 500; i++) {
      const answer = [i, { outcome: "continue", metadata: [["k", "x".repeat((i * 37) % 200)]] }];
      if (!ring.write(writer.reset().write(answer).bytes)) {
        ring.drain((a) => received.push(a));
        expect(ring.write(writer.reset().write(answer).bytes)).toBe(true);
      }
      sent.push(answer);
    }
    ring.drain((a) => received.push(a));
    expect(received).toEqual(sent);
    expect(ring.write(new Uint8Array(1024))).toBe(false); // larger than the ring: the caller posts it instead
  });
});

describe("policy channel (runtime.channel: direct)", () => {
  let runtime: PolicyRuntime;
  beforeAll(async () => {
    const yaml = `
plugins:
  tag: { path: ${policyPath("tag")}, limits: { timeoutMs: 5000 } }
  shout: { path: ${policyPath("shout")}, limits: { timeoutMs: 5000 } }
runtime: { channel: direct, workers: 2, tasksPerWorker: 4, cacheDir: ${tmpdir()}/portcullis-channel-test-cache }
${routesYaml(`
      - name: r
        policies: { request: [ { plugin: tag, with: { label: t } }, { plugin: shout } ] }
        backend: { echo: true }`)}
`;
    const loaded = parseConfigText(yaml, { baseDir: tmpdir(), env: {} });
    runtime = PolicyRuntime.start(await preparePolicies(loaded), loaded, pino({ level: "silent" }))!;
    await runtime.warmUp(loaded);
  });
  afterAll(() => runtime?.close());

  it("runs 50 flows in flight, sent in batches, each answered with its own head and body (large ones shared or moved)", async () => {
    const steps = runtime.chains("main", "r", "POST").request;
    const flows = Array.from({ length: 50 }, (_, i) => {
      const text = `flow ${i} ${"b".repeat(i % 5 === 0 ? 100 * 1024 : i * 10)}`;
      const headers = [{ name: "x-odd", value: `${ODD[i % 2]} #${i}` }];
      const head = {
        method: "POST",
        scheme: "http",
        authority: "x",
        path: `/p/${i}`,
        query: "",
        headers,
        clientAddress: "127.0.0.1",
        requestId: `r${i}`,
        listener: "main",
        route: "r",
      };
      return {
        text,
        headers,
        task: {
          flow: "request" as const,
          listener: "main",
          withListenerChain: false,
          route: "r",
          head,
          // Half the large bodies as the gateway gathers them (shared memory), half in an ordinary buffer.
          body: i % 10 === 0 ? joinBody([Buffer.from(text)], Buffer.byteLength(text)) : Buffer.from(text),
          bodyTooLarge: false,
          metadata: [],
        },
      };
    });
    const before = { ...runtime.channelStats()! };
    const results = await Promise.all(flows.map(({ task }) => runtime.run(task, steps, "127.0.0.1")));
    results.forEach((result: FlowResult, i) => {
      expect(result.outcome).toBe("continue");
      if (result.outcome !== "continue") return;
      expect(Buffer.from(result.body!).toString()).toBe(flows[i]!.text.toUpperCase());
      const headers = (result.head as { headers: { name: string; value: string }[] }).headers;
      expect(headers).toEqual([...flows[i]!.headers, { name: "x-order", value: "t" }, { name: "x-previous", value: "none" }]);
      expect(result.metadata).toEqual([["last", '"t"']]);
    });
    const after = runtime.channelStats()!;
    expect(after.flows - before.flows).toBe(50);
    expect(after.batches - before.batches).toBeLessThan(50);
    expect(after.portAnswers - before.portAnswers).toBe(10); // the 100 KiB bodies
    expect(after.ringAnswers - before.ringAnswers).toBe(40);
    expect(after.sharedBodies - before.sharedBodies).toBe(5);
    expect(after.copiedBodies - before.copiedBodies).toBe(5);
  });
});
