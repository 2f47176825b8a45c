// The goals of issue 8, checked against a run and printed beside the figures (never asserted).

const get = (results, key) => results.cases[key];
const MAX_ERROR_SHARE = 0.01;

/**
 * Each goal: `{ id, text, caseKey?, value, unit, target, compare, status }`; status is "met",
 * "missed" or "not measured" (with `reason`).
 */
export function evaluateGoals(results) {
  const goals = [
    {
      id: "no-policies-throughput",
      text: "no policies: >= 0.95 x bare proxy throughput",
      caseKey: "portcullis-0:get",
      value: get(results, "portcullis-0:get")?.rpsRatio,
      target: 0.95,
      compare: ">=",
    },
    {
      id: "three-policies-throughput",
      text: "3 policies: >= 0.80 x bare proxy throughput",
      caseKey: "portcullis-3:get",
      value: get(results, "portcullis-3:get")?.rpsRatio,
      target: 0.8,
      compare: ">=",
    },
    {
      id: "three-policies-vs-fast-gateway",
      text: "3 policies: >= 1.2 x fast-gateway throughput",
      caseKey: "portcullis-3:get",
      value: results.derived.threePoliciesOverFastGateway,
      target: 1.2,
      compare: ">=",
    },
    {
      id: "three-policies-p99",
      text: "3 policies: p99 at 50 connections <= 1.5 x bare proxy's",
      caseKey: "portcullis-3:get",
      value: get(results, "portcullis-3:get")?.p99Ratio,
      target: 1.5,
      compare: "<=",
    },
    {
      id: "marginal-policy-cpu",
      text: "one more policy: <= 8 us CPU per request",
      value: results.derived.marginalPolicyCpuUs,
      unit: "us",
      target: 8,
      compare: "<=",
    },
    {
      id: "cold-plugin-load",
      text: "cold plugin load <= 100 ms",
      value: results.side.pluginLoad?.coldPluginLoadMs,
      unit: "ms",
      target: 100,
      compare: "<=",
    },
    {
      id: "cached-plugin-load",
      text: "cached plugin load <= 10 ms",
      value: results.side.pluginLoad?.cachedPluginLoadMs,
      unit: "ms",
      target: 10,
      compare: "<=",
    },
  ];
  for (const goal of goals) {
    const value = typeof goal.value === "number" ? goal.value : goal.value?.median;
    const measured = goal.caseKey ? get(results, goal.caseKey) : undefined;
    const errorShare = measured ? measured.errors / Math.max(1, measured.requests) : 0;
    if (!Number.isFinite(value)) goal.status = "not measured";
    // Fast error answers would flatter throughput: a case with more than 1% errors meets nothing.
    else if (errorShare > MAX_ERROR_SHARE) goal.status = `missed (${(100 * errorShare).toFixed(1)}% errors)`;
    else goal.status = (goal.compare === ">=" ? value >= goal.target : value <= goal.target) ? "met" : "missed";
  }
  return goals;
}

/** "met (>= 0.95)" style text for a table cell. */
export function goalCell(goal) {
  return `${goal.status} (${goal.compare} ${goal.target}${goal.unit ? ` ${goal.unit}` : ""})`;
}
