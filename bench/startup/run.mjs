// Start-up with one plugin, alone (the part of `npm run bench` that measures it, without the load
// runs): `node bench/startup/run.mjs [repeats]` prints the median and range of each phase, cold
// (empty plugin cache) and cached (second start on the same cache), and the plugin's own cost over
// a start with no plugin. Each start is bounded by the wait in startPortcullis (60 s).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopAll, stopChildrenOnExit } from "../lib/children.js";
import { buildBenchPolicies } from "../lib/policies.js";
import { pluginLoadFigures } from "../lib/side-benches.js";

const repeats = Number(process.argv[2] ?? 5);
stopChildrenOnExit();
const runDir = mkdtempSync(join(tmpdir(), "portcullis-startup-"));
const fixture = new URL("../../test/runtime/fixtures/pass/build/pass.wasm", import.meta.url).pathname;
const pass = existsSync(fixture) ? fixture : (await buildBenchPolicies(join(runDir, "policies"))).paths.pass;
const upstream = createServer((_, response) => response.end("ok"));
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
try {
  const ctx = { runDir, upstreamUrl: `http://127.0.0.1:${upstream.address().port}`, policies: { pass } };
  const figures = await pluginLoadFigures(ctx, repeats);
  const show = (s) => (s ? `${Math.round(s.median)} ms (${Math.round(s.min)}-${Math.round(s.max)})` : "-");
  console.log(`start-up, ${repeats} run(s) each, median (range), from spawn:`);
  for (const kind of ["none", "cold", "cached"]) {
    const p = figures[kind];
    console.log(
      `  ${kind.padEnd(7)} plugin loaded ${show(p.pluginLoadedMs).padEnd(20)} listening ${show(p.listeningMs).padEnd(20)} first request ${show(p.firstRequestMs)}`,
    );
  }
  console.log(`  plugin load over no plugin: cold ${show(figures.coldPluginLoadMs)}, cached ${show(figures.cachedPluginLoadMs)}`);
  console.log(JSON.stringify(figures));
} finally {
  upstream.close();
  await stopAll();
  rmSync(runDir, { recursive: true, force: true });
}
