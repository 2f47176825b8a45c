import { afterEach, describe, expect, it } from "vitest";
import { startCapabilityServices, type CapabilityServices } from "../../host/src/capabilities/index.js";
import { startCapabilityWorkers, type CapabilityWorker } from "./support/capability-workers.js";

const WORKERS = 4;
const INCREMENTS = 1500;

describe("counters and kv through the bridge, memory store", () => {
  let services: CapabilityServices | undefined;
  let workers: CapabilityWorker[] = [];
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.terminate()));
    await services?.close();
    workers = [];
  });

  it(`is exact with ${WORKERS} workers hammering one counter`, async () => {
    services = startCapabilityServices({ store: "memory" });
    workers = await startCapabilityWorkers(services, WORKERS, { grants: { counters: true } });
    const increment = { capability: "counters", method: "increment", args: ["hits", 1n, 3_600_000n] };
    await Promise.all(workers.map((worker) => worker.run([increment], { repeat: INCREMENTS })));
    const [state] = await workers[0]!.run([{ capability: "counters", method: "get", args: ["hits", 3_600_000n] }]);
    expect(state).toMatchObject({ tag: "ok", val: { value: BigInt(WORKERS * INCREMENTS) } });
    const { val } = state as { val: { resetInMs: bigint } };
    expect(val.resetInMs).toBeGreaterThan(0n);
    expect(val.resetInMs).toBeLessThanOrEqual(3_600_000n);
  });

  it("shares kv values between workers, with delete", async () => {
    services = startCapabilityServices();
    workers = await startCapabilityWorkers(services, 2, { grants: { kv: true } });
    const value = new Uint8Array([7, 8, 9]);
    expect(await workers[0]!.run([{ capability: "kv", method: "set", args: ["k", value, 60_000n] }])).toEqual([{ tag: "ok", val: undefined }]);
    expect(await workers[1]!.run([{ capability: "kv", method: "get", args: ["k"] }])).toEqual([{ tag: "ok", val: value }]);
    expect(await workers[1]!.run([{ capability: "kv", method: "delete", args: ["k"] }])).toEqual([{ tag: "ok", val: true }]);
    expect(await workers[0]!.run([{ capability: "kv", method: "get", args: ["k"] }])).toEqual([{ tag: "ok", val: undefined }]);
  });

  it("answers too-large for an oversized key instead of failing the call", async () => {
    services = startCapabilityServices();
    workers = await startCapabilityWorkers(services, 1, { grants: { counters: true } });
    const [result] = await workers[0]!.run([{ capability: "counters", method: "increment", args: ["k".repeat(5000), 1n, 1000n] }]);
    expect(result).toMatchObject({ tag: "err", val: { tag: "too-large" } });
  });

  it("answers unavailable when the main thread never serves the bridge", async () => {
    services = startCapabilityServices();
    const deaf = { ...services, accept: () => false };
    workers = await startCapabilityWorkers(deaf, 1, { grants: { counters: true }, bridgeTimeoutMs: 100 });
    // The worker's connect message is ignored by `deaf`, so nobody answers.
    const [result] = await workers[0]!.run([{ capability: "counters", method: "get", args: ["k", 1000n] }]);
    expect(result).toMatchObject({ tag: "err", val: { tag: "unavailable" } });
  });
});
