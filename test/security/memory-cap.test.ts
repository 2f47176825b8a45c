import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startCli, tempFile } from "../support/cli.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { securityPolicyPath } from "./fixture-path.js";

afterEach(stopAll);

const HOG = securityPolicyPath("hog");
const WORKERS = 2;
const CAP_MB = 16;

const kib = (pid: number, field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

describe("memory cap (real child process)", () => {
  it("a policy allocating past memoryMb fails its own requests and costs the gateway at most 2 x cap x instances + 50 MB", async () => {
    const cli = startCli(
      tempFile(
        "gateway.yaml",
        `runtime: { workers: ${WORKERS} }
plugins:
  hog:
    path: ${HOG}
    limits: { memoryMb: ${CAP_MB}, timeoutMs: 2000 }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: all
        policies: { request: [ { plugin: hog } ] }
        backend: { echo: true }
admin: { port: 0 }
logging: { format: json }
# Spare reload workers would boot inside the measured window: their memory is not the policy's.
reload: { standbyWorkers: false }
`,
      ),
    );
    const url = String((await cli.waitForLine((l) => l.listener === "main")).url).replace("0.0.0.0", "127.0.0.1");
    const pid = cli.child.pid!;
    for (let i = 0; i < 4; i++) expect((await rawRequest(`${url}/warm`)).status).toBe(200);
    // One request down the failure path too, so code loaded on first use there (error answers, trap
    // reports) is in the baseline, not counted as what the policy costs.
    expect((await rawRequest(`${url}/hog`, { headers: { "x-hog-mb": "96" } })).status).toBe(500);
    writeFileSync(`/proc/${pid}/clear_refs`, "5"); // peak RSS (VmHWM) restarts from the current RSS
    const baselineKb = kib(pid, "VmRSS");

    // Four clients asking for 96 MiB each, for 3 s.
    const statuses: number[] = [];
    const codes = new Set<string>();
    const until = Date.now() + 3_000;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() < until) {
          const response = await rawRequest(`${url}/hog`, { headers: { "x-hog-mb": "96" } });
          statuses.push(response.status);
          codes.add(response.json<{ code: string }>().code);
        }
      }),
    );
    const grownMb = (kib(pid, "VmHWM") - baselineKb) / 1024;
    console.log(`hog: ${statuses.length} requests; peak RSS grew ${grownMb.toFixed(1)} MB over ${(baselineKb / 1024).toFixed(1)} MB`);

    expect(statuses.length).toBeGreaterThan(0);
    // Each request fails on its own (trapped at the cap), or fast once the quarantine holds.
    expect(statuses.every((s) => s === 500 || s === 503)).toBe(true);
    // Running out at the cap is named as such, not as a bare trap.
    expect(codes.has("PCS_ERR_POLICY_MEMORY")).toBe(true);
    expect([...codes].every((c) => ["PCS_ERR_POLICY_MEMORY", "PCS_ERR_POLICY_QUARANTINED"].includes(c))).toBe(true);
    // The live instance's memory and, until the worker collects it, the one it discarded (docs/security.md).
    expect(grownMb).toBeLessThanOrEqual(2 * CAP_MB * WORKERS + 50);
  }, 30_000);
});
