import { readFileSync } from "node:fs";
import type { Worker } from "node:worker_threads";
import { compilePolicy } from "@portcullis/sdk/component";
import { afterEach, describe, expect, it } from "vitest";
import { describePlugins, MAIN_THREAD_SLICE_MS } from "../../host/src/runtime/describe-plugins.js";
import { policyPath } from "../runtime/support/policies.js";
import { securityPolicyPath } from "../security/fixture-path.js";

const compiled = async (path: string) => (await compilePolicy(new Uint8Array(readFileSync(path)))).module;
const where = (name: string) => `test.yaml plugins.${name}`;

/** Threads started while `run` runs (process "worker" events). */
async function threadsStartedBy<T>(run: () => Promise<T>): Promise<{ threads: number; outcome: PromiseSettledResult<T> }> {
  let threads = 0;
  const count = (_worker: Worker) => void threads++;
  process.on("worker", count);
  try {
    const [outcome] = await Promise.allSettled([run()]);
    return { threads, outcome: outcome! };
  } finally {
    process.off("worker", count);
  }
}

let ticker: NodeJS.Timeout | undefined;
afterEach(() => clearInterval(ticker));

describe("describing plugins at load (cold start)", () => {
  it("describes usual plugins in the main thread, without starting a thread", async () => {
    const plugins = [
      { name: "pass", module: await compiled(policyPath("pass")) },
      { name: "tag", module: await compiled(policyPath("tag")) },
    ];
    const { threads, outcome } = await threadsStartedBy(() => describePlugins(plugins, 5_000, where));
    expect(outcome.status).toBe("fulfilled");
    const descriptors = (outcome as PromiseFulfilledResult<Awaited<ReturnType<typeof describePlugins>>>).value;
    expect(descriptors.get("pass")?.name).toBe("pass");
    expect(descriptors.get("tag")?.name).toBe("tag");
    expect(threads).toBe(0);
  });

  it("stops a plugin looping in its module start after the main thread's slice, and refuses it from a thread within the budget", async () => {
    const module = await compiled(securityPolicyPath("start-loop"));
    // The main thread keeps running meanwhile: the longest gap between ticks stays far below the budget.
    let last = Date.now();
    let longestGap = 0;
    ticker = setInterval(() => {
      longestGap = Math.max(longestGap, Date.now() - last);
      last = Date.now();
    }, 10);
    const startedAt = Date.now();
    const { threads, outcome } = await threadsStartedBy(() => describePlugins([{ name: "start-loop", module }], 4_000, where));
    const elapsed = Date.now() - startedAt;
    expect(outcome.status).toBe("rejected");
    const error = (outcome as PromiseRejectedResult).reason as { code?: string; message: string };
    expect(error.code).toBe("PCS_ERR_PLUGIN_LOAD_TIMEOUT");
    expect(error.message).toContain('test.yaml plugins.start-loop: plugin "start-loop" did not finish its module start and describe() within 4000 ms');
    expect(threads).toBe(1);
    // Refused once the whole budget is spent (slice plus thread), not earlier.
    expect(elapsed).toBeGreaterThanOrEqual(4_000 - 50);
    expect(longestGap).toBeLessThan(2_000);
    expect(longestGap).toBeGreaterThanOrEqual(MAIN_THREAD_SLICE_MS - 20);
  }, 30_000);

  it("refuses a looping plugin in the main thread alone when the budget is no longer than the slice", async () => {
    const module = await compiled(securityPolicyPath("start-loop"));
    const { threads, outcome } = await threadsStartedBy(() => describePlugins([{ name: "start-loop", module }], 50, where));
    expect(outcome.status).toBe("rejected");
    expect(((outcome as PromiseRejectedResult).reason as { code?: string }).code).toBe("PCS_ERR_PLUGIN_LOAD_TIMEOUT");
    expect(threads).toBe(0);
  });
});
