// The measuring loop: every case once per round, in the same order each round (A B C A B C ...), so
// that a drift of the machine's speed reaches every system alike; ratios are taken within a round.
import { runLoad } from "./load-generator.js";
import { cpuMicros } from "./proc-stats.js";
import { spread } from "./stats.js";

/** One load run on a case, with the CPU its server process (all threads) spent on it. */
async function loadCase(generator, item, connections, seconds, logDir) {
  const before = cpuMicros(item.pid);
  const result = await runLoad(generator, { url: item.url, workload: item.workload, connections, seconds, logDir });
  const after = cpuMicros(item.pid);
  const cpuUsPerRequest = before === undefined || after === undefined || result.requests === 0 ? undefined : (after - before) / result.requests;
  return { ...result, cpuUsPerRequest };
}

/**
 * `cases`: `{ key, systemId, workload, url, pid }`. Warm-up (JIT, connection pools) then `rounds`
 * rounds of: `connections` connections for `seconds`, then 1 connection for `latencySeconds` (when not 0).
 * Returns `{ [key]: [{ rps, p50Ms, p99Ms, errors, cpuUsPerRequest, requests, latency1: {...} }] }`.
 */
export async function measureRounds(generator, cases, plan, { logDir, onProgress }) {
  for (const item of cases) {
    if (plan.warmupSeconds > 0)
      await runLoad(generator, { url: item.url, workload: item.workload, connections: plan.connections, seconds: plan.warmupSeconds, logDir });
  }
  const samples = Object.fromEntries(cases.map((item) => [item.key, []]));
  for (let round = 1; round <= plan.rounds; round++) {
    for (const item of cases) {
      const loaded = await loadCase(generator, item, plan.connections, plan.seconds, logDir);
      const latency1 =
        plan.latencySeconds > 0
          ? await runLoad(generator, { url: item.url, workload: item.workload, connections: 1, seconds: plan.latencySeconds, logDir })
          : undefined;
      samples[item.key].push({ ...loaded, latency1 });
      onProgress?.(round, item, loaded, latency1);
    }
  }
  return samples;
}

/**
 * Per case: medians with min-max over the rounds, and the ratio of throughput to `referenceKey(item)`
 * (the bare proxy on the same workload), computed round by round.
 */
export function summarize(cases, samples, referenceKey) {
  const summary = {};
  for (const item of cases) {
    const runs = samples[item.key];
    const reference = samples[referenceKey(item)];
    const ratios = reference ? runs.map((run, i) => run.rps / reference[i]?.rps) : [];
    const p99Ratios = reference ? runs.map((run, i) => run.p99Ms / reference[i]?.p99Ms) : [];
    summary[item.key] = {
      systemId: item.systemId,
      workload: item.workload.id,
      rps: spread(runs.map((r) => r.rps)),
      rpsRatio: spread(ratios),
      p50Ms: spread(runs.map((r) => r.p50Ms)),
      p99Ms: spread(runs.map((r) => r.p99Ms)),
      p99Ratio: spread(p99Ratios),
      cpuUsPerRequest: spread(runs.map((r) => r.cpuUsPerRequest)),
      latency1P50Ms: spread(runs.map((r) => r.latency1?.p50Ms)),
      latency1P99Ms: spread(runs.map((r) => r.latency1?.p99Ms)),
      requests: runs.reduce((sum, r) => sum + r.requests + (r.latency1?.requests ?? 0), 0),
      errors: runs.reduce((sum, r) => sum + r.errors + (r.latency1?.errors ?? 0), 0),
    };
  }
  return summary;
}

/** Ratio of two cases' throughput, round by round (e.g. Portcullis with 3 policies over fast-gateway). */
export function ratioBetween(samples, numeratorKey, denominatorKey) {
  const top = samples[numeratorKey];
  const bottom = samples[denominatorKey];
  if (!top || !bottom) return undefined;
  return spread(top.map((run, i) => run.rps / bottom[i]?.rps));
}
