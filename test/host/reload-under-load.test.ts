import { writeFileSync } from "node:fs";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { loaderStats } from "../../host/src/runtime/plugin-loader.js";
import { policyPath } from "../runtime/support/policies.js";
import { routesYaml } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll, track } from "../support/servers.js";
import { startFileGateway, until } from "./reload-helpers.js";

afterEach(stopAll);

/**
 * A route to `upstream` through two policies: `count` counts every request in the shared counter store
 * and passes the count upstream; `tag` labels the request and the response. Their time budgets are raised
 * from 100 ms: on a shared, overloaded machine a starved worker thread would fail a call on its budget,
 * which is not what this test is about.
 */
function config(label: string, upstream: string, attempt: number, extraPlugin = ""): string {
  return `# attempt ${attempt}${routesYaml(`
      - name: up
        policies: { request: [ { plugin: count }, { plugin: tag, with: { label: ${label} } } ], response: [ { plugin: tag, with: { label: ${label} } } ] }
        backend: { url: "${upstream}" }`)}
plugins:
  count: { path: ${policyPath("count")}, capabilities: { counters: true }, limits: { timeoutMs: 2000 } }
  tag: { path: ${policyPath("tag")}, limits: { timeoutMs: 2000 }${extraPlugin} }
runtime: { workers: 1 }
admin: { host: 127.0.0.1, port: 0 }
reload: { debounceMs: 50 }
`;
}

/** Three ways to be wrong, each caught at a different stage: schema, plugin pin, policy init. */
const INVALID = [
  { code: "PCS_ERR_CONFIG_INVALID", text: (up: string, n: number) => config("gw", up, n).replace("backend: {", "backend: { timeout: 5,"), line: 9 },
  { code: "PCS_ERR_PLUGIN_PIN_MISMATCH", text: (up: string, n: number) => config("gw", up, n, `, sha256: "${"0".repeat(64)}"`), line: 12 },
  { code: "PCS_ERR_CONFIG_INVALID", text: (up: string, n: number) => config("refuse-init", up, n), line: 8 },
];

interface Sample {
  sentAt: number;
  status: number | string;
  /** The upstream that answered: which configuration routed the request. */
  server?: string;
  /** The labels `tag` put on the request (echoed by the upstream) and on the response. */
  order?: string;
  responseOrder?: string;
  count?: number;
  /** Date.now() when sent and answered: a counter window boundary between them makes `count` ambiguous. */
  wallSent: number;
  wallDone: number;
}

/** Continuous keep-alive load: 3 connections, one request at a time each, until stopped (bounded to 150 s). */
function startLoad(port: number) {
  const client = new Pool(`http://127.0.0.1:${port}`, { connections: 3, pipelining: 1, keepAliveTimeout: 30_000 });
  track(() => client.close());
  let connects = 0;
  client.on("connect", () => connects++);
  const samples: Sample[] = [];
  let stop = false;
  const hardStop = performance.now() + 150_000;
  const loop = async (): Promise<void> => {
    while (!stop && performance.now() < hardStop) {
      const sample: Sample = { sentAt: performance.now(), wallSent: Date.now(), status: 0, wallDone: 0 };
      try {
        const res = await client.request({ path: "/load", method: "GET" });
        const body = (await res.body.json()) as { server?: string; order?: string; count?: string; code?: string };
        Object.assign(sample, {
          status: res.statusCode === 200 ? 200 : `${res.statusCode} ${body.code}`,
          server: body.server,
          order: body.order,
          responseOrder: res.headers["x-response-order"],
          count: Number(body.count),
        });
      } catch (error) {
        sample.status = (error as Error).message;
      }
      sample.wallDone = Date.now();
      samples.push(sample);
    }
  };
  const loops = [loop(), loop(), loop()];
  return {
    samples,
    connects: () => connects,
    async stop(): Promise<void> {
      stop = true;
      await Promise.all(loops);
    },
  };
}

/** No count repeats within a counter window (a reset of the shared counter would start again from 1). */
function expectCountsNeverRepeat(samples: Sample[]): void {
  const byWindow = new Map<number, number[]>();
  for (const s of samples) {
    const window = Math.floor(s.wallSent / 60_000);
    if (window === Math.floor(s.wallDone / 60_000)) byWindow.set(window, [...(byWindow.get(window) ?? []), s.count!]);
  }
  for (const counts of byWindow.values()) expect(new Set(counts).size).toBe(counts.length);
}

/** Per write, the delay from the write to the first request sent after it from which every answer came from its configuration. */
function effectiveDelays(samples: Sample[], writes: Array<{ label: string; at: number }>, labelOf: (s: Sample) => string | undefined): number[] {
  return writes.map(({ label, at }, i) => {
    const end = writes[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const inWindow = samples.filter((s) => s.sentAt >= at && s.sentAt < end).sort((a, b) => a.sentAt - b.sentAt);
    const lastOther = inWindow.findLastIndex((s) => labelOf(s) !== label);
    const firstNew = inWindow[lastOther + 1];
    expect(firstNew, `reload ${i + 1}`).toBeDefined();
    return firstNew!.sentAt - at;
  });
}

describe("hot reload under load", () => {
  it("20 reloads alternating two configurations, an invalid one between each: no failed request, each effective within 1 s", async () => {
    const upstream = async (name: string) =>
      startUpstream((req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ server: name, order: req.headers["x-order"], count: req.headers["x-count"] }));
      });
    const upstreams: Record<string, string> = { A: (await upstream("A")).url, B: (await upstream("B")).url };
    const { gateway, file, logs, admin } = await startFileGateway(config("gw", upstreams.A!, 0));
    const compilationsAtStart = loaderStats.compilations;

    const load = startLoad(gateway.listeners[0]!.port);
    const { samples } = load;

    const reloadStatus = async () =>
      (await rawRequest(`${admin}/reload`)).json<{ applied: number; refused: number; lastRefused: Record<string, any> | null }>();
    const writes: Array<{ label: string; at: number }> = [];
    try {
      await until(() => samples.some((s) => s.server === "A"), 5_000, "the first answers");
      for (let i = 1; i <= 20; i++) {
        const label = i % 2 === 1 ? "B" : "A";
        const at = performance.now();
        writeFileSync(file, config("gw", upstreams[label]!, i));
        writes.push({ label, at });
        await until(() => samples.some((s) => s.sentAt > at && s.server === label), 3_000, `reload ${i} to ${label}`);
        if (i === 20) break;
        // An invalid configuration: refused, reported with its line, and the running one keeps serving.
        const invalid = INVALID[i % INVALID.length]!;
        const refusedBefore = (await reloadStatus()).refused;
        writeFileSync(file, invalid.text(upstreams[label]!, i));
        await until(async () => (await reloadStatus()).refused > refusedBefore, 5_000, `refusal ${i}`);
        const refused = (await reloadStatus()).lastRefused!;
        expect(refused.code).toBe(invalid.code);
        expect(refused.issues[0]).toMatchObject({ file, line: invalid.line });
        expect(refused.trigger).toBe("file");
      }
      await new Promise((r) => setTimeout(r, 200)); // traffic on the last configuration
    } catch (error) {
      console.log(JSON.stringify(logs.filter((l) => l.msg !== "request").slice(-10), null, 1), JSON.stringify(await reloadStatus()));
      throw error;
    } finally {
      await load.stop();
    }

    // Zero failed or reset requests, and the policies ran on every one.
    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    expect(samples.filter((s) => s.order !== "gw" || s.responseOrder !== "gw")).toEqual([]);
    // The kept listener kept its keep-alive connections: the client never had to reconnect.
    expect(load.connects()).toBe(3);

    // Each reload took effect within 1 s of the write: from the first request it served, every later one
    // until the next write was served by it, and that first request was sent less than 1 s after the write.
    const delays = effectiveDelays(samples, writes, (s) => s.server);
    console.log(`reload effective after write (ms): ${delays.map((d) => Math.round(d)).join(" ")}; ${samples.length} requests`);
    for (const delay of delays) expect(delay).toBeLessThan(1_000);

    // Unchanged plugins were never compiled again; the shared counter went on across reloads (no value
    // repeats within a counter window: a reset would start again from 1).
    expect(loaderStats.compilations).toBe(compilationsAtStart);
    expectCountsNeverRepeat(samples);

    const status = await reloadStatus();
    expect(status).toMatchObject({ applied: 20, refused: 19 });
    expect(gateway.generation).toBe(21);
    // The log has every refusal with its code and file:line.
    const refusals = logs.filter((l) => String(l.msg).startsWith("configuration reload refused"));
    expect(refusals).toHaveLength(19);
    expect(String(refusals[0]!.msg)).toContain(`${file}:${INVALID[1]!.line}:`);
  }, 180_000);

  it("reloads that change the policies under load: no failed request, each request labelled by one configuration from start to end, each effective within seconds", async () => {
    const upstream = await startUpstream((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ server: "up", order: req.headers["x-order"], count: req.headers["x-count"] }));
    });
    const { gateway, file, admin, logs } = await startFileGateway(config("A", upstream.url, 0));
    const compilationsAtStart = loaderStats.compilations;
    const load = startLoad(gateway.listeners[0]!.port);
    const writes: Array<{ label: string; at: number }> = [];
    const standby = async () => (await (await rawRequest(`${admin}/reload`)).json<{ standbyWorkers: string }>()).standbyWorkers;
    try {
      await until(() => load.samples.some((s) => s.order === "A"), 5_000, "the first answers");
      // Each of these replaces the policy runtime: the standby workers get the new setup and warm up while
      // the old pool serves. A spare pool boots again about half a second after each reload; the writes wait
      // for it, as an operator's edits (seconds apart) do.
      for (let i = 1; i <= 6; i++) {
        await until(async () => (await standby()) === "ready", 15_000, `standby workers before reload ${i}`);
        const label = i % 2 === 1 ? "B" : "A";
        const at = performance.now();
        writeFileSync(file, config(label, upstream.url, i));
        writes.push({ label, at });
        await until(() => load.samples.some((s) => s.sentAt > at && s.order === label), 10_000, `reload ${i} to ${label}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await load.stop();
    }
    const { samples } = load;
    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    // The request flow and the response flow of every request ran on the same configuration.
    expect(samples.filter((s) => s.order !== s.responseOrder || !s.order)).toEqual([]);
    expect(load.connects()).toBe(3);
    expect(loaderStats.compilations).toBe(compilationsAtStart);
    expectCountsNeverRepeat(samples);
    const delays = effectiveDelays(samples, writes, (s) => s.order);
    const phases = logs.flatMap((l) => ((l.reload as { phases?: unknown })?.phases ? [JSON.stringify((l.reload as { phases: unknown }).phases)] : []));
    console.log(
      `policy-changing reload effective after write (ms): ${delays.map((d) => Math.round(d)).join(" ")}; ${samples.length} requests; phases ${phases.join(" ")}`,
    );
    // The 1 s goal is measured by bench/reload/under-load.mjs (docs/operations.md): here, on a machine the
    // whole suite shares, a booted spare pool can wait for a core; the test bounds what a user would call
    // broken (the new configuration not serving seconds after the write).
    for (const delay of delays) expect(delay).toBeLessThan(5_000);
    expect(gateway.generation).toBe(7);
  }, 120_000);
});
