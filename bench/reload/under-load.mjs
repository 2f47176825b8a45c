// Where a policy-changing reload's time goes under continuous load: 3 keep-alive clients send without pause
// while the configuration file is rewritten N times (the `tag` policy's label alternates, so each write
// replaces the policy runtime). Per reload: file write to the first request answered by the new
// configuration, and the gateway's own phases (debounce, parse, plugins, workers = pool start and warm-up,
// listeners, cutover) from its "configuration reloaded" log line. Bounded: 10 s per reload at most.
// Usage: node bench/reload/under-load.mjs [reloads=6] [workers=1] [no-standby]   (build first; test fixtures built by
// the tests). Writes are 1.5 s apart, so that the standby workers (reload.standbyWorkers) have booted again.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { startGateway } from "../../host/dist/index.js";

const reloads = Number(process.argv[2] ?? 6);
const workers = Number(process.argv[3] ?? 1);
const standby = process.argv[4] !== "no-standby";
const fixture = (name) => fileURLToPath(new URL(`../../test/runtime/fixtures/${name}/build/${name}.wasm`, import.meta.url));

const upstream = await new Promise((resolve) => {
  const server = createServer((req, res) => res.end(String(req.headers["x-order"]))).listen(0, "127.0.0.1", () =>
    resolve({ server, url: `http://127.0.0.1:${server.address().port}` }),
  );
});
const config = (label, i) => `# ${i}
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: up
        policies: { request: [ { plugin: count }, { plugin: tag, with: { label: ${label} } } ], response: [ { plugin: tag, with: { label: ${label} } } ] }
        backend: { url: "${upstream.url}" }
plugins:
  count: { path: ${fixture("count")}, capabilities: { counters: true }, limits: { timeoutMs: 2000 } }
  tag: { path: ${fixture("tag")}, limits: { timeoutMs: 2000 } }
runtime: { workers: ${workers} }
admin: { enabled: false }
logging: { level: info }
reload: { debounceMs: 50, standbyWorkers: ${standby} }
`;
const file = join(mkdtempSync(join(tmpdir(), "portcullis-reload-load-")), "gateway.yaml");
writeFileSync(file, config("A", 0));
const reloaded = [];
const logDestination = {
  write(chunk) {
    for (const line of String(chunk).split("\n")) {
      if (line.includes('"configuration reloaded')) reloaded.push(JSON.parse(line).reload);
      else if (line.includes('"level":50')) console.log(line);
    }
    return true;
  },
};
const gateway = await startGateway({ configPath: file }, { logDestination });
const client = new Pool(gateway.listeners[0].url, { connections: 3, pipelining: 1 });
let latest = { label: "", at: 0 };
let stop = false;
let requests = 0;
let failures = 0;
const firstServed = new Map();
const loop = async () => {
  const hardStop = performance.now() + 12_000 * (reloads + 1);
  while (!stop && performance.now() < hardStop) {
    const sentAt = performance.now();
    try {
      const res = await client.request({ path: "/", method: "GET" });
      const label = await res.body.text();
      requests++;
      if (res.statusCode !== 200) failures++;
      if (label === latest.label && sentAt > latest.at && !firstServed.has(latest.at)) firstServed.set(latest.at, sentAt - latest.at);
    } catch {
      failures++;
    }
  }
};
const loops = [loop(), loop(), loop()];
const delays = [];
try {
  await new Promise((r) => setTimeout(r, 2000)); // the standby workers boot after the start
  for (let i = 1; i <= reloads; i++) {
    const label = i % 2 ? "B" : "A";
    latest = { label, at: performance.now() };
    writeFileSync(file, config(label, i));
    const deadline = latest.at + 10_000;
    while (!firstServed.has(latest.at) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    delays.push(firstServed.get(latest.at) ?? Number.NaN);
    await new Promise((r) => setTimeout(r, 1500)); // traffic on it, and the standby workers booted again, before the next write
  }
} finally {
  stop = true;
  await Promise.all(loops);
  await client.close();
  await gateway.close();
  upstream.server.close();
}
for (const [i, delay] of delays.entries()) {
  const phases = reloaded[i]?.phases ?? {};
  console.log(`reload ${i + 1}: first request on it ${Math.round(delay)} ms after the write; phases ${JSON.stringify(phases)}`);
}
const sorted = [...delays].sort((a, b) => a - b);
console.log(
  `write to first request served: median ${Math.round(sorted[sorted.length >> 1])} ms, max ${Math.round(sorted.at(-1))} ms; ${requests} requests, ${failures} failed`,
);
