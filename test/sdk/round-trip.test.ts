import { beforeAll, describe, expect, it } from "vitest";
import type { FaultContext, HeaderEdit } from "../../sdk/src/component/types.js";
import { PolicyInstanceDeadError, PolicyTrapError } from "../../sdk/src/errors.js";
import { loadPolicy, requestHead, type TestPolicy } from "../../sdk/src/testing/index.js";
import { buildFixture } from "./support/fixtures.js";

let policy: TestPolicy;
let wasmPath: string;

beforeAll(async () => {
  wasmPath = (await buildFixture("echo")).wasmPath;
  policy = await loadPolicy(wasmPath, { config: { greeting: "héllo 👋" } });
  policy.fakes.clock.nowMs = 1234n;
});

const setOrAppend = (edits: HeaderEdit[]) => edits.flatMap((e) => (e.tag === "remove" ? [] : [[e.tag, e.val.name, e.val.value]]));

describe("round trips through the echo policy", () => {
  it("describes itself with every field", () => {
    expect(policy.describe()).toEqual({
      name: "echo",
      version: "1.2.3",
      flows: ["request", "response", "fault"],
      needsRequestBody: true,
      needsResponseBody: true,
      configSchema: '{"type":"object"}',
    });
  });

  it("returns every config-error variant", async () => {
    const fresh = await loadPolicy(wasmPath, { init: false });
    expect(fresh.instance.init("{nope")).toMatchObject({ tag: "err", val: { tag: "invalid-json" } });
    expect(fresh.init({ limits: { rate: 5000 } })).toEqual({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/limits/rate", message: "must be an integer from 1 to 1000" } },
    });
    expect(fresh.init({ unsupported: true })).toEqual({ tag: "err", val: { tag: "unsupported", val: "no such feature" } });
    expect(fresh.init({})).toEqual({ tag: "ok", val: undefined });
  });

  it("echoes empty and unicode strings, 100 headers with repeated names, and metadata", () => {
    const headers: [string, string][] = Array.from({ length: 100 }, (_, i) => [`x-h${i % 10}`, `v${i} ✓ 😀`]);
    headers.push(["x-empty", ""]);
    const result = policy.onRequest({
      method: "PÖST",
      path: "/ü/😀",
      query: "",
      headers,
      clientAddress: "::1",
      route: "",
      metadata: { user: { sub: "alice", roles: ["a", "ü"] }, n: 42, gone: true },
    });
    if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error(JSON.stringify(result));
    const edits = result.val.val;
    expect(edits.method).toBe("PÖST");
    expect(edits.path).toBe("/ü/😀");
    expect(edits.query).toBe("");
    expect(setOrAppend(edits.headers).slice(0, 101)).toEqual([...headers.map(([n, v]) => ["append", n, v])]);
    expect(edits.headers.at(-2)).toEqual({ tag: "set", val: { name: "x-now", value: "1234" } });
    expect(edits.headers.at(-1)).toEqual({ tag: "remove", val: "x-remove-me" });
    expect(edits.body).toBeUndefined();
    expect(edits.metadata).toEqual([
      { tag: "set", val: { key: "user", value: '{"sub":"alice","roles":["a","ü"]}' } },
      { tag: "set", val: { key: "n", value: "42" } },
      { tag: "set", val: { key: "gone", value: "true" } },
      { tag: "set", val: { key: "client", value: '{"address":"::1","route":""}' } },
      { tag: "remove", val: "gone" },
    ]);
  });

  it("echoes a 1 MiB body byte for byte", () => {
    const body = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
    const result = policy.onRequest({ body });
    if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error("expected continue");
    expect(result.val.val.body).toEqual(body);
  });

  it("responds directly with status, headers and body", () => {
    expect(policy.onRequest({ headers: { "x-mode": "respond", "x-body": "nein ✗" } })).toEqual({
      tag: "ok",
      val: {
        tag: "respond",
        val: {
          status: 418,
          headers: [
            { name: "content-type", value: "text/plain; charset=utf-8" },
            { name: "x-greeting", value: "héllo 👋" },
          ],
          body: new TextEncoder().encode("nein ✗"),
          metadata: [],
        },
      },
    });
  });

  it("returns both flow-error variants, including an empty message", () => {
    expect(policy.onRequest({ headers: { "x-mode": "unavailable" } })).toEqual({ tag: "err", val: { tag: "unavailable", val: "store down ✓" } });
    expect(policy.onRequest({ headers: { "x-mode": "internal" } })).toEqual({ tag: "err", val: { tag: "internal", val: "" } });
  });

  it("continues a response with a new status (option<u16>), headers and body", () => {
    const result = policy.onResponse({
      status: 200,
      headers: [
        ["a", "1"],
        ["a", "2"],
      ],
      body: "ok",
      request: { path: "/p" },
    });
    expect(result).toEqual({
      tag: "ok",
      val: {
        tag: "continue",
        val: {
          status: 201,
          headers: [
            { tag: "append", val: { name: "a", value: "1" } },
            { tag: "append", val: { name: "a", value: "2" } },
            { tag: "set", val: { name: "x-request-path", value: "/p" } },
          ],
          body: new TextEncoder().encode("ok"),
          metadata: [],
        },
      },
    });
  });

  it("shapes a fault response from every fault field", () => {
    const fault: FaultContext = {
      request: requestHead(),
      fault: { kind: "upstream-timeout", status: 504, code: "PCS_ERR_UPSTREAM_TIMEOUT", policy: undefined, message: "too slow" },
      response: { status: 504, headers: [] },
      body: new Uint8Array(),
      metadata: [],
    };
    const result = policy.onFault(fault);
    if (result.tag !== "ok" || result.val.tag !== "respond") throw new Error("expected respond");
    expect(result.val.val.status).toBe(504);
    expect(JSON.parse(new TextDecoder().decode(result.val.val.body))).toEqual({
      code: "PCS_ERR_UPSTREAM_TIMEOUT",
      kind: 5,
      status: 504,
      policy: null,
      message: "too slow",
    });
  });

  it("rejects a value outside an enum before calling the guest; the broken instance stays broken, the harness moves on", async () => {
    const fresh = await loadPolicy(wasmPath);
    const broken = fresh.instance;
    const fault = { request: requestHead(), fault: { kind: "nope" }, response: { status: 500, headers: [] }, body: new Uint8Array(), metadata: [] };
    expect(() => fresh.onFault(fault as never)).toThrow(PolicyTrapError);
    expect(() => broken.describe()).toThrow(PolicyInstanceDeadError);
    expect(fresh.instance).not.toBe(broken);
    expect(fresh.describe()).toMatchObject({ name: "echo", version: "1.2.3" }); // on the fresh instance
  });
});
