import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fakeExpressions, loadPolicy } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/request-log.wasm", import.meta.url));

/** A random source whose next two bytes give `fraction` of 65536. */
function randomAt(fraction: number) {
  const value = Math.floor(fraction * 65536);
  return { bytes: (len: number) => Uint8Array.from({ length: len }, (_, i) => (i === 0 ? value >> 8 : value & 255)) };
}

async function policy(config: unknown, options: { results?: Record<string, string>; random?: ReturnType<typeof randomAt> } = {}) {
  const expression = fakeExpressions(options.results ?? {}, (source) => source.includes("((("));
  return loadPolicy(wasmPath, { config, capabilities: { expression, ...(options.random ? { random: options.random } : {}) } });
}

/** The fields of every line written so far, as objects. */
function lines(p: Awaited<ReturnType<typeof policy>>) {
  return p.fakes.logs.map((line) => ({ level: line.level, message: line.message, fields: Object.fromEntries(line.fields.map((f) => [f.name, f.value])) }));
}

const continues = { tag: "ok", val: { tag: "continue" } };

describe("request-log (unit)", () => {
  it("describes itself for the request and response flows with a strict schema", async () => {
    const p = await policy({});
    const descriptor = p.describe();
    expect(descriptor).toMatchObject({ name: "request-log", flows: ["request", "response"], needsRequestBody: false, needsResponseBody: false });
    expect(JSON.parse(descriptor.configSchema).additionalProperties).toBe(false);
  });

  it("logs the selected request fields, headers, metadata and expression values at the chosen level", async () => {
    const p = await policy(
      {
        message: "api call",
        level: "warn",
        request: ["method", "path", "query", "clientAddress"],
        requestHeaders: ["User-Agent", "x-tenant", "x-absent"],
        metadata: ["consumer", "trace", "absent"],
        expressions: { plan: "metadata.tier", limit: "metadata.limit", nothing: "metadata.none", failing: "metadata.missing" },
      },
      { results: { "metadata.tier": '"gold"', "metadata.limit": "1000", "metadata.none": "null" } },
    );
    const result = p.onRequest({
      method: "POST",
      path: "/orders",
      query: "page=2",
      clientAddress: "203.0.113.7",
      headers: [
        ["user-agent", "curl/8"],
        ["x-tenant", "a"],
        ["x-tenant", "b"],
      ],
      metadata: { consumer: "alice", trace: { traceId: "4bf9" } },
    });
    expect(result).toMatchObject(continues);
    expect(lines(p)).toEqual([
      {
        level: "warn",
        message: "api call",
        fields: {
          method: "POST",
          path: "/orders",
          query: "page=2",
          clientAddress: "203.0.113.7",
          "requestHeader.user-agent": "curl/8",
          "requestHeader.x-tenant": "a, b",
          "metadata.consumer": "alice",
          "metadata.trace": '{"traceId":"4bf9"}',
          plan: "gold",
          limit: "1000",
        },
      },
    ]);
  });

  it("logs status and response headers in the response flow, with the request's fields", async () => {
    const p = await policy({ request: ["method", "route"], responseHeaders: ["content-type", "x-missing"], requestHeaders: ["accept"] });
    expect(
      p.onResponse({ status: 503, headers: { "content-type": "application/json" }, request: { method: "GET", route: "orders", headers: { accept: "*/*" } } }),
    ).toMatchObject(continues);
    expect(lines(p)).toEqual([
      {
        level: "info",
        message: "request-log",
        fields: { method: "GET", route: "orders", status: "503", "requestHeader.accept": "*/*", "responseHeader.content-type": "application/json" },
      },
    ]);
  });

  it("logs authorization and cookies only when listed, redacted by default, in clear only when `redact` leaves them out", async () => {
    const headers = { authorization: "Bearer secret-token", cookie: "sid=secret", "x-api-key": "k-secret" };
    const unlisted = await policy({ requestHeaders: ["x-other"] });
    unlisted.onRequest({ headers });
    expect(JSON.stringify(unlisted.fakes.logs)).not.toContain("secret");

    const listed = await policy({ requestHeaders: ["authorization", "cookie", "x-api-key"], responseHeaders: ["set-cookie"] });
    listed.onRequest({ headers });
    listed.onResponse({ status: 200, headers: { "set-cookie": "sid=secret" }, request: { headers } });
    expect(lines(listed)[0]!.fields).toEqual({
      "requestHeader.authorization": "[redacted]",
      "requestHeader.cookie": "[redacted]",
      "requestHeader.x-api-key": "k-secret",
    });
    expect(lines(listed)[1]!.fields["responseHeader.set-cookie"]).toBe("[redacted]");

    const custom = await policy({ requestHeaders: ["authorization", "x-api-key"], redact: ["X-Api-Key"] });
    custom.onRequest({ headers });
    expect(lines(custom)[0]!.fields).toEqual({ "requestHeader.authorization": "Bearer secret-token", "requestHeader.x-api-key": "[redacted]" });
  });

  it("samples a percentage of requests with the random capability", async () => {
    const below = await policy({ samplePercent: 10 }, { random: randomAt(0.09) });
    below.onRequest({});
    expect(below.fakes.logs).toHaveLength(1);
    const above = await policy({ samplePercent: 10 }, { random: randomAt(0.1001) });
    above.onRequest({});
    above.onResponse({ status: 200 });
    expect(above.fakes.logs).toHaveLength(0);
    const none = await policy({ samplePercent: 0 }, { random: randomAt(0) });
    none.onRequest({});
    expect(none.fakes.logs).toHaveLength(0);
  });

  it("refuses expressions that do not compile and more fields than a line holds", async () => {
    const p = await policy({});
    expect(p.init({ expressions: { bad: "(((" } })).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path: "/expressions/bad" } } });
    expect(p.init({ level: "loud" })).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path: "/level" } } });
    const many = Array.from({ length: 32 }, (_, i) => `x-h${i}`);
    expect(p.init({ requestHeaders: many })).toMatchObject({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/requestHeaders", message: expect.stringContaining("32 fields") } },
    });
    expect(p.init({ requestHeaders: many.slice(1) })).toMatchObject({ tag: "ok" });
  });
});
