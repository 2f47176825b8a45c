// Figures computed from the load runs, and the ones measured beside them once the load is over.
import { availableParallelism } from "node:os";
import { failureText, stopProcess } from "./children.js";
import { ratioBetween } from "./measure.js";
import { rssBytes } from "./proc-stats.js";
import {
  capabilityBridgeFigures,
  observabilityHookFigures,
  pluginLoadFigures,
  policyCallFigures,
  channelCostFigures,
  poolRoundTripFigures,
  resilienceFigures,
} from "./side-benches.js";
import { slope, spread } from "./stats.js";

const PASS_SERIES = [0, 1, 3, 10];

/** Marginal CPU per policy (slope of the 0/1/3/10 series, per round), Portcullis-3 over fast-gateway, one policy's latency. */
export function deriveFigures(cases, samples) {
  const series = PASS_SERIES.map((n) => [n, samples[`portcullis-${n}:get`]]).filter(([, runs]) => runs);
  const rounds = Math.max(0, ...series.map(([, runs]) => runs.length));
  const slopes = [];
  for (let round = 0; round < rounds; round++) slopes.push(slope(series.map(([n, runs]) => [n, runs[round]?.cpuUsPerRequest])));
  const none = samples["portcullis-0:get"];
  const one = samples["portcullis-1:get"];
  return {
    marginalPolicyCpuUs: spread(slopes),
    marginalPolicyCpuPoints: Object.fromEntries(series.map(([n]) => [n, cases[`portcullis-${n}:get`]?.cpuUsPerRequest?.median])),
    threePoliciesOverFastGateway: ratioBetween(samples, "portcullis-3:get", "fast-gateway:get"),
    onePolicyLatencyUs: none && one ? spread(one.map((run, i) => (run.latency1?.p50Ms - none[i].latency1?.p50Ms) * 1_000)) : undefined,
  };
}

const MIB = 2 ** 20;

/** Resident memory of the gateway with no policies and with 10 plugins, read while both still run. */
function memoryFigures(running) {
  const rssOf = (id) => {
    const item = running.find(({ system }) => system.id === id);
    return item ? rssBytes(item.handle.pid) : undefined;
  };
  const none = rssOf("portcullis-0");
  const ten = rssOf("portcullis-10");
  if (none === undefined || ten === undefined) return undefined;
  // The gateway's default pool size (runtime.workers unset), as docs/policies.md states it.
  const workers = Math.max(1, Math.min(4, availableParallelism()));
  return { noPoliciesMiB: none / MIB, tenPluginsMiB: ten / MIB, workers, perWorkerMiB: (ten - none) / MIB / workers };
}

/**
 * Memory first (the systems still run), then every system is stopped so that the start-up and
 * micro-benchmarks have the machine to themselves (the upstream stays for the start-up runs).
 */
export async function measureSideFigures(ctx, running, plan, { log, runDir }) {
  const figures = { memory: memoryFigures(running), failures: {} };
  await Promise.all(running.map(({ handle }) => stopProcess(handle)));
  const attempt = async (what, key, measure) => {
    log(`measuring ${what}`);
    try {
      figures[key] = await measure();
    } catch (error) {
      figures.failures[what] = failureText(error, runDir);
    }
  };
  if (ctx.policies) await attempt("plugin load (cold, cached)", "pluginLoad", () => pluginLoadFigures(ctx, plan.startRepeats));
  await attempt("pool round trip", "poolRoundTrip", () => poolRoundTripFigures(runDir, plan.poolIterations));
  if (plan.otherBenches) {
    await attempt("one policy call in-thread (bench/policy-call)", "policyCall", () => policyCallFigures(runDir));
    await attempt("the channel's own cost per flow (bench/runtime-flow.mjs)", "channelCost", () => channelCostFigures(runDir));
    await attempt("capability bridge (bench/capabilities-bridge.js)", "capabilityBridge", () => capabilityBridgeFigures(runDir));
    await attempt("observability hooks (bench/observability/hooks.mjs)", "observabilityHooks", () => observabilityHookFigures(runDir));
    await attempt("resilience bookkeeping (bench/resilience/bookkeeping.mjs)", "resilience", () => resilienceFigures(runDir));
  }
  return figures;
}
