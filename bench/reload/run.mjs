// Hot reload cost: how long a reload takes from its trigger to the cutover, by kind of change, and how long
// from a file write to the first request served by the new configuration (file watch, debounce included).
// Usage: node bench/reload/run.mjs [rounds=5]   (build first: npm run build; test fixtures built by the tests)
// Kinds: backend only (the policy runtime is kept), policies changed (a new worker pool warms up, plugins are
// reused), invalid (refused at the schema). Medians and maxima over the rounds; the machine's load moves them.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startGateway } from "../../host/dist/index.js";

const rounds = Number(process.argv[2] ?? 5);
const fixture = (name) => fileURLToPath(new URL(`../../test/runtime/fixtures/${name}/build/${name}.wasm`, import.meta.url));

const upstreams = await Promise.all(
  ["A", "B"].map(
    (name) =>
      new Promise((resolve) => {
        const server = createServer((_req, res) => res.end(name)).listen(0, "127.0.0.1", () =>
          resolve({ server, url: `http://127.0.0.1:${server.address().port}` }),
        );
      }),
  ),
);
const config = (label, upstream, extra = "") => `listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: up
        policies: { request: [ { plugin: count }, { plugin: tag, with: { label: ${label} } } ] }
        backend: { url: "${upstream}"${extra} }
plugins:
  count: { path: ${fixture("count")}, capabilities: { counters: true } }
  tag: { path: ${fixture("tag")} }
runtime: { workers: 1 }
admin: { enabled: false }
logging: { level: warn }
reload: { debounceMs: 50 }
`;
const file = join(mkdtempSync(join(tmpdir(), "portcullis-reload-bench-")), "gateway.yaml");
writeFileSync(file, config("a", upstreams[0].url));
const gateway = await startGateway({ configPath: file }, { logDestination: { write: () => true } });
const url = `${gateway.listeners[0].url}/`;

const kinds = {
  "backend only": (i) => config("a", upstreams[i % 2].url),
  "policies changed": (i) => config(i % 2 ? "b" : "a", upstreams[0].url),
  invalid: (i) => config("a", upstreams[0].url, `, timeout${i}: 1`),
};
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, max ${sorted.at(-1).toFixed(0)} ms`;
};
try {
  // File write to the first request served by the new configuration (a backend switch, the file watched).
  const served = [];
  for (let i = 1; i <= rounds; i++) {
    const want = i % 2 ? "B" : "A";
    const written = performance.now();
    writeFileSync(file, `${config("a", upstreams[i % 2].url)}# ${i}\n`);
    while ((await (await fetch(url)).text()) !== want) {
      if (performance.now() - written > 10_000) throw new Error("the reload did not take effect within 10 s");
    }
    served.push(performance.now() - written);
  }
  console.log(`file write to first request on the new configuration: ${summary(served)}`);
  for (const [kind, text] of Object.entries(kinds)) {
    const times = [];
    for (let i = 1; i <= rounds; i++) {
      writeFileSync(file, text(i));
      const started = performance.now();
      const outcome = await gateway.reload("api");
      times.push(performance.now() - started);
      if (outcome.result !== (kind === "invalid" ? "refused" : "applied")) throw new Error(`${kind}: ${outcome.result} ${outcome.code ?? ""}`);
    }
    console.log(`reload, ${kind}: ${summary(times)}`);
  }
} finally {
  await gateway.close();
  for (const { server } of upstreams) server.close();
}
