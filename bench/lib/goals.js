// The goals of issue 14 (and issue 8's no-policy one), checked against a run and printed beside the figures (never asserted).

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
      text: "no policies: >= 0.95 x bare proxy throughput (issue 8)",
      caseKey: "portcullis-0:get",
      value: get(results, "portcullis-0:get")?.rpsRatio,
      target: 0.95,
      compare: ">=",
    },
    {
      id: "one-policy-throughput",
      text: "1 pass policy: >= 0.85 x bare proxy throughput",
      caseKey: "portcullis-1:get",
      value: get(results, "portcullis-1:get")?.rpsRatio,
      target: 0.85,
      compare: ">=",
    },
    {
      id: "three-policies-throughput",
      text: "3 pass policies: >= 0.80 x bare proxy throughput",
      caseKey: "portcullis-3:get",
      value: get(results, "portcullis-3:get")?.rpsRatio,
      target: 0.8,
      compare: ">=",
    },
    {
      id: "three-policies-vs-fast-gateway",
      text: "3 pass policies: >= 1.2 x fast-gateway throughput",
      caseKey: "portcullis-3:get",
      value: results.derived.threePoliciesOverFastGateway,
      target: 1.2,
      compare: ">=",
    },
    {
      id: "three-plus-three-throughput",
      text: "3 request + 3 response policies: >= 0.65 x bare proxy throughput",
      caseKey: "portcullis-3-3:get",
      value: get(results, "portcullis-3-3:get")?.rpsRatio,
      target: 0.65,
      compare: ">=",
    },
    {
      id: "realistic-chain-throughput",
      text: "realistic chain: >= 0.70 x bare proxy throughput",
      caseKey: "portcullis-realistic:get",
      value: get(results, "portcullis-realistic:get")?.rpsRatio,
      target: 0.7,
      compare: ">=",
    },
    {
      id: "body-guards-throughput",
      text: "validate + pii-guard, 64 KiB: >= 0.40 x bare proxy throughput",
      caseKey: "portcullis-body-guards:json-64k",
      value: get(results, "portcullis-body-guards:json-64k")?.rpsRatio,
      target: 0.4,
      compare: ">=",
    },
    {
      id: "three-policies-p99",
      text: "3 pass policies: p99 at 50 connections <= 1.5 x bare proxy's",
      caseKey: "portcullis-3:get",
      value: get(results, "portcullis-3:get")?.p99Ratio,
      target: 1.5,
      compare: "<=",
    },
    {
      id: "channel-cost",
      text: "the channel's own cost: <= 15 us CPU per flow under load (default channel)",
      value: results.side.channelCost?.direct?.channelUs,
      unit: "us",
      target: 15,
      compare: "<=",
    },
    {
      id: "marginal-policy-cpu",
      text: "one more pass policy: <= 5 us CPU per request",
      value: results.derived.marginalPolicyCpuUs,
      unit: "us",
      target: 5,
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
