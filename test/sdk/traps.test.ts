import { describe, expect, it } from "vitest";
import { PolicyTrapError } from "../../sdk/src/errors.js";
import { loadPolicy } from "../../sdk/src/testing/index.js";
import { buildFixture } from "./support/fixtures.js";

const trapOf = (call: () => unknown): PolicyTrapError => {
  try {
    call();
  } catch (error) {
    if (error instanceof PolicyTrapError) return error;
    throw error;
  }
  throw new Error("the call did not trap");
};

describe("trap messages", () => {
  it("carries the author's message and file:line:column from abort (assert, throw)", async () => {
    const policy = await loadPolicy((await buildFixture("trapping")).wasmPath);
    const asserted = trapOf(() => policy.onRequest({ path: "/assert" }));
    expect(asserted.code).toBe("PCS_ERR_POLICY_TRAPPED");
    expect(asserted.detail).toBe("tenant header expected at assembly/index.ts:12:5");
    expect(asserted.message).toMatch(/^policy trapped in on-request: tenant header expected at assembly\/index\.ts:12:5 /);
    const thrown = trapOf(() => policy.onRequest({ path: "/throw" }));
    expect(thrown.detail).toBe("cannot route /throw at assembly/index.ts:13:27");
  });

  it("falls back to the engine's reason when the trap did not come through abort", async () => {
    const policy = await loadPolicy((await buildFixture("trapping")).wasmPath);
    expect(trapOf(() => policy.onRequest({ path: "/unreachable" })).detail).toBe("unreachable");
  });

  it("re-creates the instance after a trap, says so, and the next call runs on the fresh one", async () => {
    const policy = await loadPolicy((await buildFixture("trapping")).wasmPath, { config: {} });
    const before = policy.instance;
    const trapped = trapOf(() => policy.onRequest({ path: "/assert" }));
    expect(trapped.message).toContain("(the harness created a fresh instance, initialised with the same configuration, for the next call)");
    expect(policy.instance).not.toBe(before);
    expect(policy.onRequest({ path: "/fine" })).toMatchObject({
      tag: "ok",
      val: { tag: "continue", val: { headers: [{ tag: "set", val: { name: "x-trapping", value: "passed" } }] } },
    });
  });
});
