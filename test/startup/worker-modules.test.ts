import { tmpdir } from "node:os";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { requireLoadsEsm } from "../../host/src/capabilities/lazy-module.js";
import { parseConfigText } from "../../host/src/config/load-config.js";
import { BodyNeedTable } from "../../host/src/runtime/body-needs.js";
import { ProgressSlots } from "../../host/src/runtime/flow-deadline.js";
import type { FlowResult, RequestTask, WorkerSetup } from "../../host/src/runtime/flow-messages.js";
import { preparePolicies } from "../../host/src/runtime/policy-runtime.js";
import { routesYaml } from "../support/gateway.js";
import { policyPath } from "../runtime/support/policies.js";

/**
 * The libraries only some capabilities (or `when:`) need, by the package folder they load from, and
 * pino, which workers never load (their log lines come from JsonLineLogger).
 */
const HEAVY = { ajv: "ajv", maxmind: "maxmind", cel: "@marcbachmann/cel-js", re2js: "re2js", bcryptjs: "bcryptjs", pino: "pino" };
type Heavy = keyof typeof HEAVY;
/** cel-js is ES-only: on a Node whose require() cannot load ES modules it is loaded eagerly, as it used to be. */
const LAZY: Heavy[] = (Object.keys(HEAVY) as Heavy[]).filter((name) => name !== "cel" || requireLoadsEsm);

interface Probed {
  /** The heavy libraries the thread loaded, and those of them it loaded after its first flow started. */
  heavy: Heavy[];
  heavyInFlow: Heavy[];
  scripts: { url: string; inFlow: boolean }[];
  result: FlowResult;
}

/**
 * Starts a policy worker thread (host/dist's entry, as the pool does) for one `pass` policy with
 * `grants` and optionally a `when:` condition, runs one request flow as its first task, and
 * reports which heavy libraries it loaded, and when.
 */
async function probeWorker(grants: string, when?: string): Promise<Probed> {
  const yaml = `
plugins:
  pass: { path: ${policyPath("pass")}, capabilities: ${grants} }
runtime: { cacheDir: ${tmpdir()}/portcullis-startup-test-cache }
${routesYaml(`
      - name: r
        policies: { request: [ { plugin: pass${when ? `, when: '${when}'` : ""} } ] }
        backend: { echo: true }`)}
`;
  const loaded = parseConfigText(yaml, { baseDir: tmpdir(), env: {} });
  const { plan, plugins } = await preparePolicies(loaded);
  // What PolicyRuntime.start hands its workers.
  const setup: WorkerSetup = {
    plugins: Object.fromEntries([...plugins].map(([name, p]) => [name, { module: p.module, grants: p.config.capabilities, limits: p.config.limits }])),
    plan,
    listeners: loaded.config.listeners,
    baseDir: tmpdir(),
    bridgeTimeoutMs: 1_000,
    logLevel: "info",
    progress: new ProgressSlots(16).buffer,
    bodyNeeds: BodyNeedTable.create(plan.instances.length).buffer,
    sharedCounters: undefined,
  };
  const head = {
    method: "GET",
    scheme: "http",
    authority: "a.test",
    path: "/x",
    query: "",
    headers: [],
    clientAddress: "127.0.0.1",
    requestId: "r1",
    listener: "main",
    route: "r",
  };
  const probeTask: RequestTask = {
    flow: "request",
    listener: "main",
    metadata: [],
    quarantined: [],
    slot: 0,
    withListenerChain: true,
    route: "r",
    head,
    body: undefined,
    bodyTooLarge: false,
  };
  const worker = new Worker(new URL("./support/loaded-modules-probe.mjs", import.meta.url), { workerData: { ...setup, probeTask } });
  try {
    const answer = await new Promise<Omit<Probed, "heavy" | "heavyInFlow">>((resolve, reject) => {
      // The worker also posts to its parent for the bridge (counters): only the probe's report has `scripts`.
      worker.on("message", (message: Partial<Probed>) => message.scripts && resolve(message as Probed));
      worker.once("error", reject);
      setTimeout(() => reject(new Error("the probe worker did not answer within 20 s")), 20_000).unref();
    });
    const from = (scripts: Probed["scripts"]) => LAZY.filter((name) => scripts.some(({ url }) => url.includes(`/node_modules/${HEAVY[name]}/`))).sort();
    return { ...answer, heavy: from(answer.scripts), heavyInFlow: from(answer.scripts.filter((script) => script.inFlow)) };
  } finally {
    await worker.terminate();
  }
}

describe("policy worker start-up", () => {
  it("loads none of ajv, maxmind, cel-js, re2js, bcryptjs, pino for a plugin granted none of them (log granted)", async () => {
    const { heavy, scripts, result } = await probeWorker("{ log: true, clock: true, counters: true }");
    expect(result.outcome).toBe("continue");
    // The list is the thread's own: the worker entry and the SDK's adapter are in it.
    expect(scripts.some(({ url }) => url.endsWith("/host/dist/runtime/worker/policy-worker.js"))).toBe(true);
    expect(scripts.some(({ url }) => url.endsWith("/sdk/dist/component/policy-component.js"))).toBe(true);
    expect(heavy).toEqual([]);
  }, 60_000);

  it("loads each one a plugin is granted, before its first flow's budget starts", async () => {
    const { heavy, heavyInFlow, result } = await probeWorker("{ json-schema: true, geo: {}, regex: true, crypto: true, expression: true }");
    expect(result.outcome).toBe("continue");
    expect(heavy).toEqual(["ajv", "bcryptjs", "cel", "maxmind", "re2js"].filter((name) => LAZY.includes(name as Heavy)));
    expect(heavyInFlow).toEqual([]);
  }, 60_000);

  it("loads cel-js alone for a `when:` condition, before the flow", async () => {
    const { heavy, heavyInFlow, result } = await probeWorker("{}", 'request.method == "GET"');
    expect(result.outcome).toBe("continue");
    expect(heavy).toEqual(LAZY.includes("cel") ? ["cel"] : []);
    expect(heavyInFlow).toEqual([]);
  }, 60_000);
});
