// The run's tables, built once as rows of cells and rendered for the terminal or as markdown.
import { goalCell } from "./goals.js";
import { WORKLOADS } from "./workloads.js";

/** Long failure messages shortened for a table cell (the results JSON keeps them whole). */
const clip = (text, length = 140) => (text.length > length ? `${text.slice(0, length)}...` : text);

const number = (value, digits) => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "12,345 (12,001-12,800)": the median and, when the rounds differ, their range. */
export function formatSpread(value, digits = 0) {
  if (value === undefined) return "-";
  if (typeof value === "number") return number(value, digits);
  const median = number(value.median, digits);
  return value.min === value.max ? median : `${median} (${number(value.min, digits)}-${number(value.max, digits)})`;
}

function loadTable(results) {
  const goalsByCase = new Map();
  for (const goal of results.goals) {
    if (goal.caseKey) goalsByCase.set(goal.caseKey, [...(goalsByCase.get(goal.caseKey) ?? []), goal]);
  }
  const header = ["system", "workload", "req/s at 50 conn.", "x bare", "p99 ms at 50", "p50 ms at 1", "p99 ms at 1", "CPU us/req", "errors", "goals"];
  const rows = [];
  for (const system of results.systems) {
    if (system.status !== "measured") {
      const why = system.status === "unavailable" ? system.reason : `${system.status}: ${system.reason}`;
      rows.push([system.label, "-", clip(why), "", "", "", "", "", "", ""]);
      continue;
    }
    for (const workload of system.workloads) {
      const key = `${system.id}:${workload}`;
      const c = results.cases[key];
      if (!c) continue;
      rows.push([
        system.label,
        WORKLOADS[workload].label,
        formatSpread(c.rps),
        system.reference ? "1" : formatSpread(c.rpsRatio, 2),
        formatSpread(c.p99Ms, 2),
        formatSpread(c.latency1P50Ms, 3),
        formatSpread(c.latency1P99Ms, 3),
        formatSpread(c.cpuUsPerRequest, 1),
        c.errors ? `${c.errors} of ${c.requests}` : "0",
        (goalsByCase.get(key) ?? []).map((g) => `${g.text.split(": ")[1]}: ${g.status}`).join("; "),
      ]);
    }
  }
  return { header, rows };
}

function goalTable(results) {
  return {
    header: ["goal", "measured", "status"],
    rows: results.goals.map((goal) => [goal.text, formatSpread(goal.value, goal.unit ? 1 : 2), goalCell(goal)]),
  };
}

function sideTable(results) {
  const { side, derived } = results;
  const rows = [];
  const add = (what, value, note = "") => rows.push([what, value, note]);
  add("marginal CPU of one more pass policy (slope over 0/1/3/10)", `${formatSpread(derived.marginalPolicyCpuUs, 1)} us`, "from the CPU per request medians");
  add("pool round trip + one pass call, as a request sees it", `${formatSpread(derived.onePolicyLatencyUs, 0)} us`, "p50 at 1 connection: 1 policy minus none");
  for (const [variant, figures] of Object.entries(side.poolRoundTrip ?? {})) {
    add(`piscina echo round trip, ${variant}`, `${figures.medianUs} us`, `best ${figures.bestUs} us; no policy, 2 workers, 1 in flight`);
  }
  if (side.policyCall) {
    const call = side.policyCall;
    add(
      "one on-request call in-thread (bench/policy-call)",
      `${call.perCallMicroseconds.median} us`,
      `best ${call.perCallMicroseconds.best} us; 10 headers, 1 KiB body`,
    );
    add("instantiate one policy (bench/policy-call)", `${call.instantiateMilliseconds} ms`, "");
  }
  for (const [channel, figures] of Object.entries(side.channelCost ?? {})) {
    add(
      `the channel's own cost per flow, ${channel}`,
      `${figures.channelUs} us`,
      `bench/runtime-flow.mjs: 1 pass policy, 50 flows in flight, process CPU minus the flow in-thread (${figures.inThreadUs} us)`,
    );
  }
  for (const [label, us] of Object.entries(side.capabilityBridge ?? {})) add(`capability bridge: ${label}`, `${us} us`, "bench/capabilities-bridge.js");
  for (const [label, us] of Object.entries(side.observabilityHooks ?? {})) {
    add(
      `observability: ${label}`,
      `${us} us per request`,
      "bench/observability/hooks.mjs: the hooks a policy-free request calls (goal: at most 5% of a request)",
    );
  }
  for (const [policy, ns] of Object.entries(side.resilience ?? {})) {
    add(
      `resilience bookkeeping, ${policy}`,
      `${ns} ns per request`,
      "bench/resilience: balancer pick, retry budget, outlier reset on the no-failure path (goal: under 3% of a request)",
    );
  }
  const load = side.pluginLoad;
  if (load) {
    const phases = (p) =>
      `after spawn: plugin loaded ${formatSpread(p.pluginLoadedMs, 0)}, listening ${formatSpread(p.listeningMs, 0)}, first request ${formatSpread(p.firstRequestMs, 0)} ms`;
    // CPU of all the gateway's threads by the first answer, minus the start with no plugin (undefined in older results).
    const cpu = (figure) => (figure ? `; CPU ${formatSpread(figure, 0)} ms over no plugin` : "");
    add(
      "cold plugin load (1 plugin, empty cache)",
      `${formatSpread(load.coldPluginLoadMs, 0)} ms`,
      `first request minus the start with no plugin; ${phases(load.cold)}${cpu(load.coldPluginLoadCpuMs)}`,
    );
    add(
      "cached plugin load (1 plugin, second start)",
      `${formatSpread(load.cachedPluginLoadMs, 0)} ms`,
      `${phases(load.cached)}${cpu(load.cachedPluginLoadCpuMs)}`,
    );
    add(
      "gateway start to first request, no plugin",
      `${formatSpread(load.none.firstRequestMs, 0)} ms`,
      `node start-up included; listening ${formatSpread(load.none.listeningMs, 0)} ms after spawn`,
    );
  }
  if (side.memory) {
    const m = side.memory;
    add(
      "gateway RSS with 10 plugins loaded, after load",
      `${formatSpread(m.tenPluginsMiB, 1)} MiB`,
      `no policies: ${formatSpread(m.noPoliciesMiB, 1)} MiB; ${m.workers} policy workers`,
    );
    add("memory of the policy workers with 10 plugins", `${formatSpread(m.perWorkerMiB, 1)} MiB per worker`, "RSS difference / workers");
  }
  for (const [name, ms] of Object.entries(side.build?.buildMs ?? {})) {
    add(
      `build policy ${name}`,
      `${ms} ms`,
      `${side.build.bytes[name]} bytes${name === Object.keys(side.build.buildMs)[0] ? ", first build (compiler warm-up)" : ""}`,
    );
  }
  for (const [what, reason] of Object.entries(side.failures ?? {})) add(what, "failed", clip(reason));
  return { header: ["measurement", "value", "how"], rows };
}

function setupLines(results) {
  const { machine, setup } = results;
  return [
    `Machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}; load average (1 min) ${machine.loadAverageAtStart.toFixed(2)} at the start, ${machine.loadAverageAtEnd.toFixed(2)} at the end`,
    `Load generator: ${setup.loadGenerator.name} ${setup.loadGenerator.version}; upstream: ${setup.upstream.name} ${setup.upstream.version}`,
    `Run: ${results.mode}, ${setup.rounds} round(s) interleaved, ${setup.seconds} s at ${setup.connections} connections + ${setup.latencySeconds} s at 1 connection per case and round, ${setup.warmupSeconds} s warm-up; ${results.durationSeconds} s in all`,
  ];
}

function renderText({ header, rows }) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((cell, i) => String(cell).padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function renderMarkdown({ header, rows }) {
  const line = (cells) => `| ${cells.map((c) => String(c).replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function consoleReport(results) {
  return [
    ...setupLines(results),
    "",
    renderText(loadTable(results)),
    "",
    "Goals",
    renderText(goalTable(results)),
    "",
    "Also measured",
    renderText(sideTable(results)),
  ].join("\n");
}

export function markdownReport(results, resultsFile) {
  return [
    `Run of ${results.date} (\`npm run bench\`${results.mode === "quick" ? " -- --quick" : ""}; raw figures in \`${resultsFile}\`).`,
    "",
    ...setupLines(results).map((line) => `- ${line}`),
    "",
    "Medians over the rounds, with min-max; ratios to the bare proxy are taken round by round.",
    "",
    renderMarkdown(loadTable(results)),
    "",
    "### Goals",
    "",
    renderMarkdown(goalTable(results)),
    "",
    "### Also measured",
    "",
    renderMarkdown(sideTable(results)),
  ].join("\n");
}
