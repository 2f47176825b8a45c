// Start-up with one plugin, alone (the part of `npm run bench` that measures it, without the load
// runs): `node bench/startup/run.mjs [repeats] [other-portcullis.js]`. Each round starts the gateway
// with no plugin, then with one plugin on an empty cache (cold), then again on that cache (cached),
// and stops each once it answered. Printed: the median and range of the milliseconds from spawn to
// the "plugin loaded" log line, to listening and to the first answer, and the CPU the process (all
// its threads) used by then; the plugin's cost is the difference to the start with no plugin. CPU
// time is the steadier figure on a shared machine, where waiting for a core inflates wall clocks.
// With a second CLI (another checkout's host/bin/portcullis.js), both run in turn in every round,
// so a before/after comparison sees the same machine load.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startProcess, stopAll, stopChildrenOnExit, stopProcess, waitForHttp } from "../lib/children.js";
import { freePort } from "../lib/free-port.js";
import { buildBenchPolicies } from "../lib/policies.js";
import { cpuMicros } from "../lib/proc-stats.js";
import { spread } from "../lib/stats.js";
import { PORTCULLIS_CLI, portcullisConfig } from "../systems/portcullis.js";

const repeats = Number(process.argv[2] ?? 5);
const clis = { this: PORTCULLIS_CLI, ...(process.argv[3] ? { other: resolve(process.argv[3]) } : {}) };
stopChildrenOnExit();
const runDir = mkdtempSync(join(tmpdir(), "portcullis-startup-"));
const fixture = new URL("../../test/runtime/fixtures/pass/build/pass.wasm", import.meta.url).pathname;
const pass = process.env.PORTCULLIS_STARTUP_PLUGIN ?? (existsSync(fixture) ? fixture : (await buildBenchPolicies(join(runDir, "policies"))).paths.pass);

/** Milliseconds after spawn at which the gateway logged `message`. */
function loggedAt(handle, spawnedAt, message) {
  const line = readFileSync(handle.outPath, "utf8")
    .split("\n")
    .find((l) => l.includes(message));
  return line ? JSON.parse(line).time - spawnedAt : undefined;
}

/** One start of `cli` with `settings`, stopped once it answered. */
async function timeStart(cli, name, settings) {
  const port = await freePort();
  const file = join(runDir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(portcullisConfig({ ...settings, port, accessLog: true })));
  const spawnedAt = Date.now();
  const spawnedAtMs = performance.now();
  const handle = startProcess(name, process.execPath, [cli, "start", "-c", file], { logDir: runDir });
  await waitForHttp(handle, `http://127.0.0.1:${port}/`, 60_000, 2);
  const firstRequest = performance.now() - spawnedAtMs;
  const cpu = cpuMicros(handle.pid) / 1000;
  await stopProcess(handle);
  return { firstRequest, cpu, pluginLoaded: loggedAt(handle, spawnedAt, "plugin loaded"), listening: loggedAt(handle, spawnedAt, "listening on") };
}

const upstream = createServer((_, response) => response.end("ok"));
await new Promise((done) => upstream.listen(0, "127.0.0.1", done));
try {
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;
  const withPass = (cacheDir) => ({ upstreamUrl, plugins: { pass: { path: pass } }, request: [{ plugin: "pass" }], cacheDir });
  const runs = Object.fromEntries(Object.keys(clis).map((id) => [id, { none: [], cold: [], cached: [] }]));
  for (let i = 0; i < repeats; i++) {
    for (const [id, cli] of Object.entries(clis)) {
      const cacheDir = join(runDir, `cache-${id}-${i}`);
      runs[id].none.push(await timeStart(cli, `${id}-none`, { upstreamUrl, cacheDir }));
      runs[id].cold.push(await timeStart(cli, `${id}-cold`, withPass(cacheDir)));
      runs[id].cached.push(await timeStart(cli, `${id}-cached`, withPass(cacheDir)));
    }
  }
  const show = (values) => {
    const s = spread(values);
    return s ? `${Math.round(s.median)} (${Math.round(s.min)}-${Math.round(s.max)})` : "-";
  };
  console.log(`start-up, ${repeats} round(s), median (range) in ms from spawn; CPU of all the gateway's threads by the first answer:`);
  for (const [id, cli] of Object.entries(clis)) {
    console.log(`${cli}:`);
    for (const [kind, list] of Object.entries(runs[id])) {
      const column = (key) => show(list.map((r) => r[key])).padEnd(18);
      console.log(
        `  ${kind.padEnd(7)} plugin loaded ${column("pluginLoaded")} listening ${column("listening")} first answer ${column("firstRequest")} CPU ${column("cpu")}`,
      );
    }
    const over = (kind, key) => runs[id][kind].map((r, i) => r[key] - runs[id].none[i][key]);
    for (const kind of ["cold", "cached"]) {
      console.log(`  ${kind} plugin load over no plugin: ${show(over(kind, "firstRequest"))} ms wall, ${show(over(kind, "cpu"))} ms CPU`);
    }
  }
} finally {
  upstream.close();
  await stopAll();
  rmSync(runDir, { recursive: true, force: true });
}
