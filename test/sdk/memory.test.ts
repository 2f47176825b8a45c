import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../sdk/src/testing/index.js";
import { buildFixture } from "./support/fixtures.js";

describe("guest memory", () => {
  it("stays where it was after the first thousand calls for 100,000 calls", async () => {
    const policy = await loadPolicy((await buildFixture("echo")).wasmPath);
    const input = {
      headers: Array.from({ length: 10 }, (_, i): [string, string] => [`x-h${i}`, `value ${i}`]),
      body: new Uint8Array(1024).fill(7),
      metadata: { user: "alice" },
    };
    for (let i = 0; i < 1000; i++) policy.onRequest(input);
    const settled = policy.instance.memoryBytes();
    for (let i = 0; i < 99_000; i++) policy.onRequest(input);
    expect(policy.instance.memoryBytes()).toBe(settled);
  }, 120_000);
});
