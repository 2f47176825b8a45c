// Figures measured beside the load runs: the other benches of bench/ (run as child processes and
// read), one pool round trip, and how long a gateway takes from start to its first served request.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runToEnd, stopProcess } from "./children.js";
import { spread } from "./stats.js";
import { startPortcullis } from "../systems/portcullis.js";

const benchFile = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

async function runNodeScript(name, path, args, logDir, timeoutMs = 120_000) {
  const result = await runToEnd(name, process.execPath, [benchFile(path), ...args], { logDir, timeoutMs });
  if (result.code !== 0) throw new Error(`${path} exited with ${result.code ?? result.signal}: ${result.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return result.stdout;
}

/** One on-request call in-thread (bench/policy-call), as that bench reports it. */
export async function policyCallFigures(logDir) {
  const stdout = await runNodeScript("policy-call", "policy-call/run.mjs", [], logDir);
  return JSON.parse(stdout.slice(stdout.indexOf("{")));
}

/** The synchronous capability bridge (bench/capabilities-bridge.js): `{ label: usPerCall }`. */
export async function capabilityBridgeFigures(logDir) {
  const stdout = await runNodeScript("capabilities-bridge", "capabilities-bridge.js", ["20000"], logDir);
  const figures = {};
  for (const match of stdout.matchAll(/^\s{2}(.+?)\s+([\d.]+) us\/call$/gm)) figures[match[1]] = Number(match[2]);
  return figures;
}

/** A piscina round trip with no policy, under each atomics mode (bench/lib/pool-round-trip.js). */
export async function poolRoundTripFigures(logDir, iterations) {
  return JSON.parse(await runNodeScript("pool-round-trip", "lib/pool-round-trip.js", [String(iterations)], logDir));
}

/** Milliseconds from spawning the gateway to its first answered request, then stops it. */
async function timeToFirstRequest(name, settings, ctx) {
  const { handle, startMs } = await startPortcullis(name, settings, ctx);
  await stopProcess(handle);
  return startMs;
}

/**
 * Start-up with one plugin: cold (empty plugin cache), cached (second start on the same cache), and
 * with no plugin; the plugin's own cost is the difference to the start with no plugin.
 */
export async function pluginLoadFigures(ctx, repeats) {
  const times = { none: [], cold: [], cached: [] };
  const withPass = (cacheDir) => ({ upstreamUrl: ctx.upstreamUrl, plugins: { pass: { path: ctx.policies.pass } }, request: [{ plugin: "pass" }], cacheDir });
  for (let i = 0; i < repeats; i++) {
    times.none.push(await timeToFirstRequest("start-none", { upstreamUrl: ctx.upstreamUrl }, ctx));
    const cacheDir = join(ctx.runDir, `start-cache-${i}`);
    times.cold.push(await timeToFirstRequest("start-cold", withPass(cacheDir), ctx));
    times.cached.push(await timeToFirstRequest("start-cached", withPass(cacheDir), ctx));
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const none = spread(times.none);
  const overNone = (list) => spread(list.map((ms, i) => ms - times.none[i]));
  return {
    startNoPluginMs: none,
    startColdMs: spread(times.cold),
    startCachedMs: spread(times.cached),
    coldPluginLoadMs: overNone(times.cold),
    cachedPluginLoadMs: overNone(times.cached),
  };
}
