import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPolicy, requestHead } from "@portcullis/sdk/testing";
import type { FaultContext, FaultKind } from "@portcullis/sdk/component";

const wasmPath = fileURLToPath(new URL("../build/json-fault.wasm", import.meta.url));

function faultContext(kind: FaultKind, status: number, code: string, body: string, policy?: string): FaultContext {
  return {
    request: requestHead({ requestId: "req-1" }),
    fault: { kind, status, code, policy, message: "gateway says" },
    response: { status, headers: [{ name: "content-type", value: "text/plain" }] },
    body: new TextEncoder().encode(body),
    metadata: [],
  };
}

/** The decision's body as JSON and its header edits. */
function shaped(result: ReturnType<Awaited<ReturnType<typeof loadPolicy>>["onFault"]>) {
  expect(result).toMatchObject({ tag: "ok", val: { tag: "continue" } });
  const edits = (result as { val: { val: { body: Uint8Array; headers: unknown[]; status?: number } } }).val.val;
  return { json: JSON.parse(Buffer.from(edits.body).toString()) as unknown, headers: edits.headers, status: edits.status };
}

describe("json-fault (unit)", () => {
  it("handles only the fault flow", async () => {
    const p = await loadPolicy(wasmPath, { config: {} });
    expect(p.describe()).toMatchObject({ name: "json-fault", flows: ["fault"] });
  });

  it("shapes a gateway error: its code, message, status and the request id; keeps status and other headers", async () => {
    const p = await loadPolicy(wasmPath, { config: {} });
    const defaultBody = JSON.stringify({
      code: "PCS_ERR_UPSTREAM_UNREACHABLE",
      status: 502,
      message: "The upstream could not be reached.",
      requestId: "req-1",
    });
    const { json, headers, status } = shaped(p.onFault(faultContext("upstream-unreachable", 502, "PCS_ERR_UPSTREAM_UNREACHABLE", defaultBody)));
    expect(json).toEqual({ code: "PCS_ERR_UPSTREAM_UNREACHABLE", message: "The upstream could not be reached.", status: 502, requestId: "req-1" });
    expect(headers).toEqual([{ tag: "set", val: { name: "content-type", value: "application/json" } }]);
    expect(status).toBeUndefined();
  });

  it("keeps a rejecting policy's own code and message from its JSON body", async () => {
    const p = await loadPolicy(wasmPath, { config: {} });
    const body = JSON.stringify({ code: "API_KEY_MISSING", message: "send x-api-key" });
    expect(shaped(p.onFault(faultContext("policy-rejected", 401, "PCS_ERR_POLICY_REJECTED", body, "api-key"))).json).toEqual({
      code: "API_KEY_MISSING",
      message: "send x-api-key",
      status: 401,
      requestId: "req-1",
    });
  });

  it("uses a short text rejection as the message, and the gateway's message for an empty or huge one", async () => {
    const p = await loadPolicy(wasmPath, { config: {} });
    const text = shaped(p.onFault(faultContext("policy-rejected", 403, "PCS_ERR_POLICY_REJECTED", "  not allowed here\n"))).json;
    expect(text).toMatchObject({ code: "PCS_ERR_POLICY_REJECTED", message: "not allowed here" });
    const empty = shaped(p.onFault(faultContext("policy-rejected", 403, "PCS_ERR_POLICY_REJECTED", ""))).json;
    expect(empty).toMatchObject({ message: "gateway says" });
    const huge = shaped(p.onFault(faultContext("policy-rejected", 403, "PCS_ERR_POLICY_REJECTED", "x".repeat(5000)))).json;
    expect(huge).toMatchObject({ message: "gateway says" });
    const notJsonObject = shaped(p.onFault(faultContext("upstream-error", 503, "PCS_ERR_UPSTREAM_ERROR", "[1,2"))).json;
    expect(notJsonObject).toMatchObject({ code: "PCS_ERR_UPSTREAM_ERROR", message: "gateway says" });
  });

  it("renames and drops fields, wraps them in an envelope, sets problem+json, adds details in debug mode", async () => {
    const p = await loadPolicy(wasmPath, {
      config: { fields: { code: "error_code", requestId: "trace" }, envelope: "error", debug: true, contentType: "application/problem+json" },
    });
    const { json, headers } = shaped(p.onFault(faultContext("policy-failed", 500, "PCS_ERR_POLICY_FAILED", "", "jwt")));
    expect(json).toEqual({
      error: {
        error_code: "PCS_ERR_POLICY_FAILED",
        trace: "req-1",
        details: { kind: "policy-failed", gatewayCode: "PCS_ERR_POLICY_FAILED", gatewayMessage: "gateway says", policy: "jwt" },
      },
    });
    expect(headers).toEqual([{ tag: "set", val: { name: "content-type", value: "application/problem+json" } }]);
  });

  it("refuses two fields with one key, the debug key, and unknown content types", async () => {
    const p = await loadPolicy(wasmPath, { init: false });
    expect(p.init({ fields: { code: "x", message: "x" } })).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path: "/fields/message" } } });
    expect(p.init({ debug: true, fields: { status: "details" } })).toMatchObject({ tag: "err", val: { val: { path: "/fields/status" } } });
    expect(p.init({ contentType: "text/html" })).toMatchObject({ tag: "err", val: { val: { path: "/contentType" } } });
    expect(p.init({ fields: { code: 5 } })).toMatchObject({ tag: "err", val: { val: { path: "/fields/code" } } });
    expect(p.init({})).toEqual({ tag: "ok", val: undefined });
  });
});
