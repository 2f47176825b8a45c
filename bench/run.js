// `npm run bench`: Portcullis against the bare Node proxy and its peers, in one run, with ratios.
// Options: --quick (smoke check, under a minute), --only=<id,id> (systems; the bare proxy always runs),
// --load=autocannon and --upstream=node (force the fallbacks), --profile (instead of the comparison:
// CPU profiles of the gateway with 3 policies, with none, and of the bare proxy). See docs/benchmarks.md.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { failureText, stopAll, stopChildrenOnExit, wasInterrupted } from "./lib/children.js";
import { profileGateway } from "./lib/cpu-profile.js";
import { chooseLoadGenerator, prepareWorkload } from "./lib/load-generator.js";
import { describeMachine } from "./lib/machine.js";
import { measureRounds, summarize } from "./lib/measure.js";
import { buildBenchPolicies } from "./lib/policies.js";
import { consoleReport } from "./lib/report.js";
import { deriveFigures, measureSideFigures } from "./lib/run-figures.js";
import { writeResults } from "./lib/write-results.js";
import { startSystems } from "./lib/start-systems.js";
import { evaluateGoals } from "./lib/goals.js";
import { WORKLOADS } from "./lib/workloads.js";
import { SYSTEMS, startUpstream } from "./systems/index.js";
import { nginxVersion } from "./systems/nginx.js";

const { values: options } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    load: { type: "string" },
    upstream: { type: "string" },
    profile: { type: "boolean", default: false },
  },
});
const PLANS = {
  full: { rounds: 3, connections: 50, seconds: 5, latencySeconds: 2, warmupSeconds: 2, startRepeats: 3, poolIterations: 20_000, otherBenches: true },
  quick: { rounds: 1, connections: 50, seconds: 1, latencySeconds: 0, warmupSeconds: 0, startRepeats: 1, poolIterations: 2_000, otherBenches: false },
};
if (![undefined, "wrk", "autocannon"].includes(options.load) || ![undefined, "nginx", "node"].includes(options.upstream)) {
  console.error("usage: npm run bench -- [--quick] [--only=<system,...>] [--load=wrk|autocannon] [--upstream=nginx|node] [--profile]");
  process.exit(2);
}
for (const built of ["../host/dist/cli.js", "../sdk/dist/tooling/index.js"]) {
  if (!existsSync(new URL(built, import.meta.url))) {
    console.error(`${built.slice(3)} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
}
const mode = options.quick ? "quick" : "full";
const plan = PLANS[mode];
const log = (line) => console.log(line);

stopChildrenOnExit();
const began = performance.now();
const loadAtStart = loadavg()[0];
const runDir = mkdtempSync(join(tmpdir(), "portcullis-bench-"));
let keepRunDir = false;
try {
  const nginx = options.upstream === "node" ? undefined : nginxVersion();
  const generator = chooseLoadGenerator({ prefer: options.load });
  const upstreamKind = nginx ? "nginx" : "node";
  log(
    `portcullis bench (${options.profile ? "profile" : mode}): load generator ${generator.name} ${generator.version}, upstream ${upstreamKind}, work dir ${runDir}`,
  );

  log("building the test policies");
  const buildDir = join(runDir, "policies");
  mkdirSync(buildDir);
  const side = { failures: {} };
  let policies; // stays undefined when the SDK cannot build them: the policy systems are then reported as failed
  try {
    side.build = await buildBenchPolicies(buildDir);
    policies = side.build.paths;
  } catch (error) {
    side.failures["build the test policies"] = failureText(error, runDir);
  }

  const upstream = await startUpstream(upstreamKind, { runDir });
  const ctx = { runDir, upstreamUrl: upstream.url, policies, tools: { nginx: Boolean(nginx) } };
  log(`upstream ${upstream.url}`);
  if (options.profile) {
    const profile = await profileGateway(ctx, generator, SYSTEMS, { seconds: 10, connections: plan.connections, log });
    const written = await writeResults({ date: new Date().toISOString(), mode: "profile", machine: describeMachine(), profile }, { suffix: "profile" });
    log(`\nresults: ${written.join(", ")}`);
    keepRunDir = true; // the .cpuprofile files, to open in Chrome DevTools
  } else {
    const { statuses, running } = await startSystems(SYSTEMS, ctx, { quick: options.quick, only: options.only?.split(","), log });
    const cases = running.flatMap(({ system, url, handle }) =>
      system.workloads.map((id) => ({
        key: `${system.id}:${id}`,
        systemId: system.id,
        workload: prepareWorkload(generator, WORKLOADS[id], runDir),
        url,
        pid: handle.pid,
      })),
    );
    log(
      `measuring ${cases.length} cases: ${plan.rounds} round(s) of ${plan.seconds} s at ${plan.connections} connections${plan.latencySeconds ? ` + ${plan.latencySeconds} s at 1` : ""}`,
    );
    const samples = await measureRounds(generator, cases, plan, {
      logDir: runDir,
      onProgress: (round, item, loaded, latency1) =>
        log(
          `  round ${round} ${item.key.padEnd(30)} ${Math.round(loaded.rps).toString().padStart(7)} req/s  p99 ${loaded.p99Ms?.toFixed(2)} ms  CPU ${loaded.cpuUsPerRequest?.toFixed(1)} us/req${latency1 ? `  1 conn p50 ${latency1.p50Ms?.toFixed(3)} ms` : ""}${loaded.errors ? `  errors ${loaded.errors}` : ""}`,
        ),
    });
    const caseSummaries = summarize(cases, samples, (item) => `bare:${item.workload.id}`);
    const more = await measureSideFigures(ctx, running, plan, { log, runDir });
    Object.assign(side, more, { failures: { ...side.failures, ...more.failures } });
    const results = {
      date: new Date().toISOString(),
      mode,
      machine: { ...describeMachine(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg()[0] },
      setup: {
        loadGenerator: generator,
        upstream: { name: upstreamKind, version: nginx ?? process.version },
        ...plan,
      },
      systems: statuses,
      cases: caseSummaries,
      derived: deriveFigures(caseSummaries, samples),
      side,
      samples,
    };
    results.durationSeconds = Math.round((performance.now() - began) / 1000);
    results.goals = evaluateGoals(results);
    log("");
    log(consoleReport(results));
    const written = await writeResults(results, { suffix: mode === "quick" ? "quick" : undefined, updateDocs: mode === "full" });
    log(`\nresults: ${written.join(", ")}`);
    keepRunDir = statuses.some((s) => s.status === "failed") || Object.keys(side.failures).length > 0;
  }
} catch (error) {
  keepRunDir = true;
  if (!wasInterrupted()) console.error(error);
  process.exitCode = 1;
} finally {
  await stopAll();
  if (keepRunDir) log(`logs kept in ${runDir}`);
  else rmSync(runDir, { recursive: true, force: true });
  log(`bench finished in ${Math.round((performance.now() - began) / 1000)} s`);
}
