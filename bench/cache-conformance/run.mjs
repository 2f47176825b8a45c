// RFC 9111 conformance of the `cache` policy, measured with the HTTP caching test suite behind
// cache-tests.fyi (github.com/http-tests/cache-tests, BSD-3-Clause). The suite is not part of this
// repository: it is used where it lies (default ../shared/cache-tests from the project root). This script
// starts the suite's origin server, puts a gateway with the cache policy (both flows, `with:` from the
// second argument, JSON) in front of it on 127.0.0.1, runs the suite's client against the gateway and
// prints required tests passed / total next to the suite's stored results for nginx, Varnish and Squid.
// Run after `npx tsc -b` and building plugins/cache:
//   node bench/cache-conformance/run.mjs [suite folder] ['{"ttlSeconds": 60}'] [--failures]
// --failures lists each required test that failed, with the result or the unmet dependencies.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseConfigText, startGateway } from "../../host/dist/index.js";
import { freePort } from "../lib/free-port.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const args = process.argv.slice(2).filter((a) => a !== "--failures");
const showFailures = process.argv.includes("--failures");
const suite = resolve(root, args[0] || "../shared/cache-tests");
const withBlock = args[1] || "{}";
const PEERS = ["nginx", "varnish", "squid"];
/** The whole suite takes about a minute against a working cache; past this something hangs. */
const CLIENT_BUDGET_MS = 10 * 60 * 1000;

if (!existsSync(join(suite, "test-engine/cli.mjs")) || !existsSync(join(suite, "tests/index.mjs"))) {
  console.error(`cache-tests suite not found at ${suite}: pass its folder as the first argument`);
  process.exit(2);
}

/** Runs `node args` in the suite's folder; resolves with its stdout once it prints `until` (or exits). */
function node(nodeArgs, env, until) {
  const child = spawn(process.execPath, nodeArgs, { cwd: suite, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const done = new Promise((resolveDone, reject) => {
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (until && out.includes(until)) resolveDone(out);
    });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolveDone(out) : reject(new Error(`${nodeArgs.join(" ")} exited with ${code}`))));
  });
  return { child, done };
}

const originPort = await freePort();
const origin = node(
  ["test-engine/server/server.mjs"],
  {
    npm_config_protocol: "http",
    npm_config_port: String(originPort),
    npm_config_pidfile: join(tmpdir(), `cache-tests-${process.pid}.pid`),
  },
  "Listening",
);
let gateway;
try {
  await origin.done;
  const wasm = join(root, "plugins/cache/build/cache.wasm");
  const yaml = `
plugins:
  cache:
    path: "${wasm}"
    capabilities: { kv: true, crypto: true, clock: true, expression: true }
    limits: { timeoutMs: 5000 } # the suite fires hundreds of requests at once: conformance, not speed, is measured
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: origin
        policies:
          request: [ { plugin: cache, with: ${withBlock} } ]
          response: [ { plugin: cache, with: ${withBlock} } ]
        backend: { url: "http://127.0.0.1:${originPort}" }
admin: { port: 0 }
`;
  // The gateway's log goes to the file named by CACHE_CONFORMANCE_LOG, if any.
  const logTo = process.env.CACHE_CONFORMANCE_LOG;
  const log = logTo ? createWriteStream(logTo) : new Writable({ write: (_chunk, _encoding, callback) => callback() });
  gateway = await startGateway(parseConfigText(yaml, { source: "cache-conformance.yaml", env: {} }), { logDestination: log });
  const base = gateway.listeners[0].url.replace("0.0.0.0", "127.0.0.1");
  const client = node(["--no-warnings", "--import", pathToFileURL(join(root, "bench/cache-conformance/register-hook.mjs")).href, "test-engine/cli.mjs"], {
    npm_config_base: base,
    npm_config_id: "",
    npm_package_config_id: "",
  }); // "" = every test
  const timer = setTimeout(() => client.child.kill(), CLIENT_BUDGET_MS);
  const results = JSON.parse(await client.done);
  clearTimeout(timer);
  await report(results);
} finally {
  await gateway?.close();
  origin.child.kill();
}

/** Required tests (kind absent or "required") passed, counted as cache-tests.fyi does (dependencies honoured). */
async function report(portcullis) {
  const tests = (await import(pathToFileURL(join(suite, "tests/index.mjs")).href)).default;
  const { determineTestResult } = await import(pathToFileURL(join(suite, "test-engine/lib/results.mjs")).href);
  const required = tests
    .flatMap((s) => s.tests)
    .filter((t) => t.kind === undefined || t.kind === "required")
    .map((t) => t.id);
  const passed = (results) => required.filter((id) => determineTestResult(tests, id, results)[2] === "✅");
  const rows = [["portcullis", passed(portcullis).length]];
  for (const peer of PEERS) rows.push([peer, passed(JSON.parse(readFileSync(join(suite, `results/${peer}.json`), "utf8"))).length]);
  console.log(`required tests passed (of ${required.length}), ${new Date().toISOString().slice(0, 10)}, with: ${withBlock}`);
  for (const [system, count] of rows) console.log(`${system.padEnd(12)} ${count}`);
  if (showFailures) {
    const ok = new Set(passed(portcullis));
    const byId = new Map(tests.flatMap((s) => s.tests).map((t) => [t.id, t]));
    for (const id of required) {
      if (ok.has(id)) continue;
      const unmet = (byId.get(id).depends_on ?? []).filter((d) => determineTestResult(tests, d, portcullis)[2] !== "✅");
      console.log(`fail ${id}: ${unmet.length > 0 ? `needs ${unmet.join(", ")}` : JSON.stringify(portcullis[id])}`);
    }
  }
}
