import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { buildJsPolicy } from "../../plugins-js/build.mjs";
import { PolicyTrapError } from "../../sdk/src/errors.js";
import { answerOf, loadPolicy, type TestPolicy } from "../../sdk/src/testing/index.js";

const PROJECT = fileURLToPath(new URL("../../plugins-js/header-stamp/", import.meta.url));
let wasmPath: string;
let policy: TestPolicy;

beforeAll(async () => {
  ({ wasmPath } = await buildJsPolicy(PROJECT)); // built (or found by hash) in the global setup
  policy = await loadPolicy(wasmPath, { config: { header: "x-tenant", remove: ["x-debug"] } });
}, 180_000);

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

describe("a JavaScript policy in the SDK's harness", () => {
  it("describes itself and imports only the capabilities it uses", () => {
    expect(policy.describe()).toMatchObject({ name: "header-stamp", version: "0.1.0", flows: ["request"], needsRequestBody: false });
    expect(JSON.parse(policy.describe().configSchema).required).toEqual(["header"]);
  });

  it("refuses a bad configuration with init's typed error", async () => {
    const fresh = await loadPolicy(wasmPath, { init: false });
    expect(fresh.init({ header: "Bad Header" })).toEqual({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/header", message: "a lower-case header name is required" } },
    });
    expect(fresh.init({ header: "x-t", remove: ["ok", "no good"] })).toMatchObject({ tag: "err", val: { val: { path: "/remove/1" } } });
    expect(fresh.init({ header: "x-t" })).toEqual({ tag: "ok", val: undefined });
    expect(fresh.initInfo).toEqual({ requestBody: "none", responseBody: "none" });
  });

  it("stamps the request through the crypto, clock and log fakes and removes headers", () => {
    policy.fakes.clock.advance(5_000);
    const now = policy.fakes.clock.nowMs;
    const result = policy.onRequest({ headers: { "x-tenant": "acme%20corp", "x-debug": "1" } });
    expect(result).toEqual({
      tag: "ok",
      val: {
        tag: "continue",
        val: expect.objectContaining({
          headers: [
            { tag: "set", val: { name: "x-tenant-digest", value: sha256Hex("acme corp") } },
            { tag: "set", val: { name: "x-stamped-at", value: String(now) } },
            { tag: "remove", val: "x-debug" },
          ],
        }),
      },
    });
    expect(policy.fakes.logs.at(-1)).toMatchObject({ level: "debug", message: "stamped", fields: [{ name: "tenant", value: "acme corp" }] });
  });

  it("answers a request without the header itself", () => {
    const answer = answerOf(policy.onRequest({ headers: { other: "x" } }));
    expect(answer.status).toBe(400);
    expect(answer.json()).toEqual({ error: "missing x-tenant" });
  });

  it("turns an uncaught JS error into a trap naming the error and the policy's line, and recovers", () => {
    let trap: unknown;
    try {
      policy.onRequest({ headers: { "x-tenant": "%E0%A4%A" } });
    } catch (error) {
      trap = error;
    }
    expect(trap).toBeInstanceOf(PolicyTrapError);
    expect((trap as PolicyTrapError).detail).toMatch(/^URIError: malformed URI sequence at policy\.js:\d+:\d+$/);
    expect((trap as Error).message).toContain("the harness created a fresh instance");
    const next = policy.onRequest({ headers: { "x-tenant": "globex" } });
    expect(next).toMatchObject({ tag: "ok", val: { tag: "continue" } });
  });
});
