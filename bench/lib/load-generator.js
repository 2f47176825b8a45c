// The load generator: wrk when installed (it drives about 2.5x what autocannon can from one core
// here), autocannon otherwise. Both run as their own process, keep-alive, for a fixed duration.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { runToEnd } from "./children.js";

const require = createRequire(import.meta.url);

/** Picks the load generator; `prefer: "autocannon"` forces the fallback (to check it). */
export function chooseLoadGenerator({ prefer } = {}) {
  if (prefer !== "autocannon") {
    const probe = spawnSync("wrk", ["-v"], { encoding: "utf8" }); // prints its banner and exits 1
    const banner = /^wrk (\S+)/.exec(`${probe.stdout ?? ""}`);
    if (banner) return { name: "wrk", version: banner[1] };
  }
  const { version } = require("autocannon/package.json");
  return { name: "autocannon", version };
}

/**
 * Writes what a workload needs on disk (wrk's Lua script or autocannon's body file).
 * A workload is `{ id, method, path, headers?, body?, contentType? }`.
 */
export function prepareWorkload(generator, workload, dir) {
  if (!workload.body) return { ...workload };
  if (generator.name === "wrk") {
    const script = join(dir, `${workload.id}.lua`);
    // A level-3 long bracket cannot occur in the generated JSON.
    writeFileSync(
      script,
      `wrk.method = "${workload.method}"\nwrk.headers["content-type"] = "${workload.contentType}"\nwrk.body = [===[${workload.body}]===]\n`,
    );
    return { ...workload, script };
  }
  const bodyFile = join(dir, `${workload.id}.body`);
  writeFileSync(bodyFile, workload.body);
  return { ...workload, bodyFile };
}

/**
 * Loads `url + workload.path` with `connections` keep-alive connections for `seconds`.
 * Resolves to `{ requests, rps, p50Ms, p99Ms, errors }` (errors: non-2xx answers, socket errors, timeouts).
 */
export async function runLoad(generator, { url, workload, connections, seconds, logDir }) {
  const target = `${url}${workload.path}`;
  const timeoutMs = seconds * 1_000 + 15_000;
  if (generator.name === "wrk") {
    const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "5s"];
    for (const [name, value] of Object.entries(workload.headers ?? {})) args.push("-H", `${name}: ${value}`);
    if (workload.script) args.push("-s", workload.script);
    const result = await runToEnd("wrk", "wrk", [...args, target], { logDir, timeoutMs });
    if (result.code !== 0) throw new Error(`wrk failed (${result.code}): ${result.stderr || result.stdout}`);
    return parseWrk(result.stdout);
  }
  const cli = require.resolve("autocannon/autocannon.js");
  const args = [cli, "-j", "-c", String(connections), "-d", String(seconds), "-p", "1", "-m", workload.method];
  for (const [name, value] of Object.entries(workload.headers ?? {})) args.push("-H", `${name}=${value}`);
  if (workload.bodyFile) args.push("-H", `content-type=${workload.contentType}`, "-i", workload.bodyFile);
  const result = await runToEnd("autocannon", process.execPath, [...args, target], { logDir, timeoutMs });
  if (result.code !== 0) throw new Error(`autocannon failed (${result.code}): ${result.stderr}`);
  return parseAutocannon(result.stdout);
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1_000, m: 60_000 };

function wrkDuration(text, label) {
  const match = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2]] : undefined;
}

export function parseWrk(text) {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  if (!total) throw new Error(`cannot read wrk's output:\n${text}`);
  const requests = Number(total[1]);
  const seconds = (Number(total[2]) * UNIT_MS[total[3]]) / 1_000;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  return {
    requests,
    rps: requests / seconds,
    p50Ms: wrkDuration(text, "50%"),
    p99Ms: wrkDuration(text, "99%"),
    errors: socketErrors + non2xx,
  };
}

export function parseAutocannon(text) {
  const report = JSON.parse(text.slice(text.indexOf("{")));
  const requests = report.requests.total;
  return {
    requests,
    rps: requests / report.duration,
    p50Ms: report.latency.p50,
    p99Ms: report.latency.p99,
    errors: report.non2xx + report.errors + report.timeouts,
  };
}
