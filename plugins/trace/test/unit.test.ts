import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/trace.wasm", import.meta.url));

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
/** The fake random source gives bytes 1, 2, 3, ...: span id first, then (for a new trace) the trace id. */
const NEW_SPAN_ID = "0102030405060708";
const NEW_TRACE_ID = "090a0b0c0d0e0f101112131415161718";

const counting = { bytes: (len: number) => Uint8Array.from({ length: len }, (_, i) => i + 1) };

async function policy(config: unknown = {}, random = counting) {
  return loadPolicy(wasmPath, { config, capabilities: { random } });
}

type Edits = {
  headers: Array<{ tag: string; val: { name: string; value: string } | string }>;
  metadata: Array<{ tag: string; val: { key: string; value: string } }>;
};

function edits(result: unknown): Edits {
  const decision = result as { tag: string; val: { tag: string; val: Edits } };
  if (decision.tag !== "ok" || decision.val.tag !== "continue") throw new Error(`not a continue: ${JSON.stringify(result)}`);
  return decision.val.val;
}

/** Header edits as `set name value` / `remove name` lines. */
function headerEdits(result: unknown): string[] {
  return edits(result).headers.map((e) => (typeof e.val === "string" ? `${e.tag} ${e.val}` : `${e.tag} ${e.val.name} ${e.val.value}`));
}

function traceMetadata(result: unknown): Record<string, unknown> {
  const entry = edits(result).metadata.find((m) => m.tag === "set" && m.val.key === "trace");
  return JSON.parse(entry!.val.value) as Record<string, unknown>;
}

describe("trace (unit)", () => {
  it("describes itself for the request and response flows with a strict schema", async () => {
    const p = await policy();
    const descriptor = p.describe();
    expect(descriptor).toMatchObject({ name: "trace", flows: ["request", "response"], needsRequestBody: false });
    const schema = JSON.parse(descriptor.configSchema);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.response.additionalProperties).toBe(false);
  });

  it("keeps a valid incoming trace id and sampled flag, with a new span id, and exposes the ids as metadata", async () => {
    const p = await policy();
    for (const flags of ["01", "00"]) {
      const result = p.onRequest({ headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-${flags}` } });
      expect(headerEdits(result)).toEqual([`set traceparent 00-${TRACE_ID}-${NEW_SPAN_ID}-${flags}`]);
      expect(traceMetadata(result)).toEqual({
        traceId: TRACE_ID,
        spanId: NEW_SPAN_ID,
        parentId: PARENT_ID,
        sampled: flags === "01",
        traceparent: `00-${TRACE_ID}-${NEW_SPAN_ID}-${flags}`,
      });
    }
  });

  it("propagates only the sampled bit of other flags, and reads a later version by its version 00 prefix", async () => {
    const p = await policy();
    expect(headerEdits(p.onRequest({ headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-03` } }))).toEqual([
      `set traceparent 00-${TRACE_ID}-${NEW_SPAN_ID}-01`,
    ]);
    expect(headerEdits(p.onRequest({ headers: { traceparent: `cc-${TRACE_ID}-${PARENT_ID}-00-what-the-future-adds` } }))).toEqual([
      `set traceparent 00-${TRACE_ID}-${NEW_SPAN_ID}-00`,
    ]);
  });

  it("starts a new trace (ids from random, sampled by default) when traceparent is missing, invalid or repeated", async () => {
    const p = await policy();
    const invalid = [
      undefined,
      `ff-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${"0".repeat(32)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID}-0g`,
      `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID}1-01`,
      `00-${TRACE_ID}-${PARENT_ID}-01-extra`,
      `cc-${TRACE_ID}-${PARENT_ID}-01x`,
      `00_${TRACE_ID}_${PARENT_ID}_01`,
      "",
    ];
    for (const traceparent of invalid) {
      const result = p.onRequest({ headers: traceparent === undefined ? {} : { traceparent } });
      expect(headerEdits(result), String(traceparent)).toEqual([`set traceparent 00-${NEW_TRACE_ID}-${NEW_SPAN_ID}-01`]);
      expect(traceMetadata(result)).toMatchObject({ traceId: NEW_TRACE_ID, spanId: NEW_SPAN_ID, parentId: null, sampled: true });
    }
    const twice = p.onRequest({
      headers: [
        ["traceparent", `00-${TRACE_ID}-${PARENT_ID}-01`],
        ["traceparent", `00-${TRACE_ID}-${PARENT_ID}-01`],
      ],
    });
    expect(traceMetadata(twice)).toMatchObject({ traceId: NEW_TRACE_ID });
  });

  it("marks new traces not sampled with sampled: false, and never sends an all-zero id", async () => {
    const zeros = { bytes: (len: number) => new Uint8Array(len) };
    const p = await policy({ sampled: false }, zeros);
    expect(headerEdits(p.onRequest({}))).toEqual([`set traceparent 00-${"0".repeat(31)}1-${"0".repeat(15)}1-00`]);
  });

  it("passes tracestate through, valid members only, and drops it with an invalid traceparent", async () => {
    const p = await policy();
    const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`;
    const state = p.onRequest({
      headers: [
        ["traceparent", traceparent],
        ["tracestate", "rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE,,Bad=1,x=,y=a=b"],
        ["tracestate", "tenant1@vendor=v, rojo=dup, a=\u00e9"],
      ],
    });
    expect(headerEdits(state)).toEqual([
      `set traceparent 00-${TRACE_ID}-${NEW_SPAN_ID}-01`,
      "set tracestate rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant1@vendor=v",
    ]);
    const allInvalid = p.onRequest({ headers: { traceparent, tracestate: "UPPER=1" } });
    expect(headerEdits(allInvalid)).toContain("remove tracestate");
    const restarted = p.onRequest({ headers: { traceparent: "garbage", tracestate: "rojo=1" } });
    expect(headerEdits(restarted)).toEqual([`set traceparent 00-${NEW_TRACE_ID}-${NEW_SPAN_ID}-01`, "remove tracestate"]);
  });

  it("puts the gateway's own member first, replaces an older one of its key, and keeps at most 32 members", async () => {
    const p = await policy({ tracestateKey: "portcullis" });
    const members = Array.from({ length: 40 }, (_, i) => `k${i}=v${i}`);
    const result = p.onRequest({ headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: ["portcullis=old", ...members].join(",") } });
    const tracestate = headerEdits(result)[1]!.replace("set tracestate ", "").split(",");
    expect(tracestate).toHaveLength(32);
    expect(tracestate[0]).toBe(`portcullis=${NEW_SPAN_ID}`);
    expect(tracestate[1]).toBe("k0=v0");
    expect(tracestate.filter((m) => m.startsWith("portcullis="))).toHaveLength(1);
    expect(headerEdits(p.onRequest({}))).toEqual([`set traceparent 00-${NEW_TRACE_ID}-${NEW_SPAN_ID}-01`, `set tracestate portcullis=${NEW_SPAN_ID}`]);
  });

  it("echoes traceparent and the trace id on the response when configured, from the request's metadata", async () => {
    const metadata = { trace: { traceId: TRACE_ID, spanId: NEW_SPAN_ID, traceparent: `00-${TRACE_ID}-${NEW_SPAN_ID}-01` } };
    const echo = await policy({ response: { traceparent: true, traceIdHeader: "X-Trace-Id" } });
    expect(headerEdits(echo.onResponse({ status: 200, metadata }))).toEqual([`set traceparent 00-${TRACE_ID}-${NEW_SPAN_ID}-01`, `set x-trace-id ${TRACE_ID}`]);
    expect(headerEdits(echo.onResponse({ status: 404 }))).toEqual([]);
    const quiet = await policy();
    expect(headerEdits(quiet.onResponse({ status: 200, metadata }))).toEqual([]);
  });

  it("refuses an invalid tracestate key at init", async () => {
    const p = await policy();
    for (const tracestateKey of ["Portcullis", "1abc", "a@", "x".repeat(257)]) {
      expect(p.init({ tracestateKey }), tracestateKey).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path: "/tracestateKey" } } });
    }
    expect(p.init({ tracestateKey: "tenant1@portcullis" })).toMatchObject({ tag: "ok" });
  });
});
