// Figures measured beside the load runs: the other benches of bench/ (run as child processes and
// read), one pool round trip, and how long a gateway takes from start to its first served request.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runToEnd, stopProcess } from "./children.js";
import { cpuMicros } from "./proc-stats.js";
import { spread } from "./stats.js";
import { startPortcullis } from "../systems/portcullis.js";

const benchFile = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

async function runNodeScript(name, path, args, logDir, timeoutMs = 120_000, env = undefined) {
  const result = await runToEnd(name, process.execPath, [benchFile(path), ...args], { logDir, timeoutMs, env });
  if (result.code !== 0) throw new Error(`${path} exited with ${result.code ?? result.signal}: ${result.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return result.stdout;
}

/** One on-request call in-thread (bench/policy-call), as that bench reports it. */
export async function policyCallFigures(logDir) {
  const stdout = await runNodeScript("policy-call", "policy-call/run.mjs", [], logDir);
  return JSON.parse(stdout.slice(stdout.indexOf("{")));
}

/**
 * The channel's own CPU per flow at 50 in flight, per channel (bench/runtime-flow.mjs: one pass policy through
 * PolicyRuntime.run minus the same flow in-thread): `{ direct: { channelUs, inThreadUs }, piscina: ... }`.
 */
export async function channelCostFigures(logDir) {
  const figures = {};
  for (const channel of ["direct", "piscina"]) {
    const stdout = await runNodeScript(`runtime-flow-${channel}`, "runtime-flow.mjs", [], logDir, 120_000, { ...process.env, CHANNEL: channel });
    const match = stdout.match(/in-thread: ([\d.]+) us\/flow; the channel's own cost at 50 in flight: (-?[\d.]+) us\/flow/);
    if (!match) throw new Error(`bench/runtime-flow.mjs printed no channel cost: ${stdout.trim().split("\n").slice(-3).join(" | ")}`);
    figures[channel] = { inThreadUs: Number(match[1]), channelUs: Number(match[2]) };
  }
  return figures;
}

/** The synchronous capability bridge (bench/capabilities-bridge.js): `{ label: usPerCall }`. */
export async function capabilityBridgeFigures(logDir) {
  const stdout = await runNodeScript("capabilities-bridge", "capabilities-bridge.js", ["20000"], logDir);
  const figures = {};
  for (const match of stdout.matchAll(/^\s{2}(.+?)\s+([\d.]+) us\/call$/gm)) figures[match[1]] = Number(match[2]);
  return figures;
}

/** CPU per request of the observability hooks (bench/observability/hooks.mjs): `{ metrics, "traces 1%" }` in us. */
export async function observabilityHookFigures(logDir) {
  const stdout = await runNodeScript("observability-hooks", "observability/hooks.mjs", ["200000"], logDir);
  const figures = {};
  for (const match of stdout.matchAll(/^\s{2}(\S.*?)\s+[\d.]+ us\s+\(hooks: ([\d.]+) us\)$/gm)) if (Number(match[2]) > 0) figures[match[1]] = Number(match[2]);
  return figures;
}

/** Per-request resilience bookkeeping on the no-failure path (bench/resilience/bookkeeping.mjs): `{ policy: ns }`. */
export async function resilienceFigures(logDir) {
  const stdout = await runNodeScript("resilience-bookkeeping", "resilience/bookkeeping.mjs", ["500000"], logDir);
  const figures = {};
  for (const match of stdout.matchAll(/^\s{2}(\S+)\s+(\d+) ns per request/gm)) figures[match[1]] = Number(match[2]);
  return figures;
}

/** A piscina round trip with no policy, under each atomics mode (bench/lib/pool-round-trip.js). */
export async function poolRoundTripFigures(logDir, iterations) {
  return JSON.parse(await runNodeScript("pool-round-trip", "lib/pool-round-trip.js", [String(iterations)], logDir));
}

/** Milliseconds after spawn at which the gateway logged `message` (its log level must be info). */
function loggedAt(handle, spawnedAt, message) {
  for (const line of readFileSync(handle.outPath, "utf8").split("\n")) {
    if (line.includes(message)) return JSON.parse(line).time - spawnedAt;
  }
  return undefined;
}

/**
 * One start, stopped once it answered: milliseconds from spawning the gateway to its first answered
 * request, and to its "plugin loaded" and "listening on" log lines (logged at info level), and the
 * CPU milliseconds all its threads used by that answer (steadier than wall clock on shared cores).
 */
async function timeStart(name, settings, ctx) {
  const { handle, startMs, spawnedAt } = await startPortcullis(name, { ...settings, accessLog: true }, ctx);
  const cpu = cpuMicros(handle.pid) / 1000;
  await stopProcess(handle);
  return { firstRequest: startMs, cpu, pluginLoaded: loggedAt(handle, spawnedAt, "plugin loaded"), listening: loggedAt(handle, spawnedAt, "listening on") };
}

/**
 * Start-up with one plugin: cold (empty plugin cache), cached (second start on the same cache), and
 * with no plugin; the plugin's own cost is the difference to the start with no plugin.
 */
export async function pluginLoadFigures(ctx, repeats) {
  const runs = { none: [], cold: [], cached: [] };
  const withPass = (cacheDir) => ({ upstreamUrl: ctx.upstreamUrl, plugins: { pass: { path: ctx.policies.pass } }, request: [{ plugin: "pass" }], cacheDir });
  for (let i = 0; i < repeats; i++) {
    runs.none.push(await timeStart("start-none", { upstreamUrl: ctx.upstreamUrl }, ctx));
    const cacheDir = join(ctx.runDir, `start-cache-${i}`);
    runs.cold.push(await timeStart("start-cold", withPass(cacheDir), ctx));
    runs.cached.push(await timeStart("start-cached", withPass(cacheDir), ctx));
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const phases = (list) => ({
    pluginLoadedMs: spread(list.map((r) => r.pluginLoaded)),
    listeningMs: spread(list.map((r) => r.listening)),
    firstRequestMs: spread(list.map((r) => r.firstRequest)),
    cpuMs: spread(list.map((r) => r.cpu)),
  });
  const overNone = (list, key = "firstRequest") => spread(list.map((r, i) => r[key] - runs.none[i][key]));
  return {
    none: phases(runs.none),
    cold: phases(runs.cold),
    cached: phases(runs.cached),
    coldPluginLoadMs: overNone(runs.cold),
    cachedPluginLoadMs: overNone(runs.cached),
    coldPluginLoadCpuMs: overNone(runs.cold, "cpu"),
    cachedPluginLoadCpuMs: overNone(runs.cached, "cpu"),
  };
}
