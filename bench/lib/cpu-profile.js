// `npm run bench -- --profile`: the gateway under load with `node --cpu-prof` (one profile per thread:
// the main thread and each policy worker), summarized as the functions with the most self time.
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { failureText, stopProcess } from "./children.js";
import { runLoad } from "./load-generator.js";
import { WORKLOADS } from "./workloads.js";

const PROFILED = ["portcullis-3", "portcullis-0", "bare"];
const TOP = 15;
const NOT_WORK = new Set(["(idle)", "(program)"]);
// A piscina worker blocked in Atomics.wait for its next task is sampled in this function: waiting, not work.
const WAITING = new Set(["atomicsWaitLoop"]);

/** Where a function comes from, shortened to the package or the project file. */
function origin(url) {
  if (!url) return "";
  const packageAt = url.lastIndexOf("node_modules/");
  if (packageAt >= 0) return url.slice(packageAt + "node_modules/".length);
  const projectAt = url.search(/\/(host|sdk|bench)\//);
  if (projectAt >= 0) return url.slice(projectAt + 1);
  return url.replace(/^file:\/\//, "");
}

/** The package, project file or Node internals a function belongs to; "(native)" for V8 and libuv work. */
function area(url) {
  if (!url) return "(native)";
  if (url.startsWith("node:")) return "node internals";
  if (url.startsWith("wasm://")) return "wasm";
  const where = origin(url);
  const packageName = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(where)?.[1];
  return url.includes("node_modules/") ? packageName : where;
}

/** Self time by function, as a share of the thread's busy samples (idle, "program" and waiting for a task left out). */
export function summarizeProfile(profile) {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFunction = new Map();
  const byArea = new Map();
  let busy = 0;
  let waiting = 0;
  for (const [id, count] of hits) {
    const { functionName, url, lineNumber } = byNode.get(id).callFrame;
    const name = functionName || "(anonymous)";
    if (NOT_WORK.has(name)) continue;
    if (WAITING.has(name)) {
      waiting += count;
      continue;
    }
    busy += count;
    const key = `${name} ${origin(url)}${url ? `:${lineNumber + 1}` : ""}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + count);
    byArea.set(area(url), (byArea.get(area(url)) ?? 0) + count);
  }
  const share = (count) => +((100 * count) / busy).toFixed(1);
  const ranked = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  return {
    busySamples: busy,
    waitingPercent: +((100 * waiting) / Math.max(1, busy + waiting)).toFixed(1),
    top: ranked(byFunction, TOP).map(([fn, count]) => ({ fn, selfPercent: share(count) })),
    areas: ranked(byArea, 8).map(([name, count]) => ({ area: name, selfPercent: share(count) })),
  };
}

/** Thread 0 is the main thread (file names are CPU.<date>.<pid>.<thread>.<seq>.cpuprofile). */
function threadOf(file) {
  return Number(file.split(".")[4]) === 0 ? "main" : `worker ${file.split(".")[4]}`;
}

export async function profileGateway(ctx, generator, systems, { seconds, connections, log }) {
  const summaries = {};
  for (const id of PROFILED) {
    const system = systems.find((s) => s.id === id);
    const dir = join(ctx.runDir, `profile-${id}`);
    mkdirSync(dir);
    let server;
    try {
      server = await system.start({ ...ctx, extraNodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`] });
    } catch (error) {
      summaries[id] = { label: system.label, failed: failureText(error, ctx.runDir) };
      log(`${system.label}: could not start: ${summaries[id].failed}`);
      continue;
    }
    const { handle, url } = server;
    log(`profiling ${system.label}: ${seconds} s at ${connections} connections`);
    const load = await runLoad(generator, { url, workload: WORKLOADS.get, connections, seconds, logDir: ctx.runDir });
    await stopProcess(handle); // the profiles are written as the process exits
    const threads = {};
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
      threads[threadOf(file)] = summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")));
    }
    summaries[id] = { label: system.label, rps: Math.round(load.rps), profileDir: dir, threads };
    for (const [thread, summary] of Object.entries(threads)) {
      log(`\n${system.label}, ${thread} (${summary.busySamples} busy samples, ${summary.waitingPercent}% more waiting for a task), self time:`);
      for (const { fn, selfPercent } of summary.top) log(`  ${String(selfPercent).padStart(5)}%  ${fn}`);
      log(`  by area: ${summary.areas.map((a) => `${a.area} ${a.selfPercent}%`).join(", ")}`);
    }
  }
  return summaries;
}
