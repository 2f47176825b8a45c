// Identity at the edge, measured: mTLS against plain TLS, oauth2-introspection and ext-authz with their
// caches hit and missed, and what one route's 200 ms outbound calls (ext-authz against a slow service,
// dispatched since world 0.1.1) do to another route's policy flows. Every case is a bounded closed loop (--seconds, default 2).
// Run after `npm run build` (host/dist) and with the plugins built (npm test builds them):
//   node bench/identity/run.mjs [--seconds=2] [--connections=16] [--ext-authz=<component.wasm>]
// (--ext-authz: another build of ext-authz to measure, e.g. one that calls with the blocking Http.fetch)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import selfsigned from "selfsigned";
import { Pool } from "undici";
import { parseConfigText, startGateway } from "../../host/dist/index.js";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "2" }, connections: { type: "string", default: "16" }, "ext-authz": { type: "string" } },
});
const durationMs = Number(values.seconds) * 1000;
const connections = Number(values.connections);
const wasm = (name) =>
  name === "ext-authz" && values["ext-authz"] ? values["ext-authz"] : fileURLToPath(new URL(`../../plugins/${name}/build/${name}.wasm`, import.meta.url));

/** A node:http server on 127.0.0.1 answering with `handler` after `delayMs`. */
async function serve(handler, delayMs = 0) {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => (delayMs ? setTimeout(handler, delayMs, req, res) : handler(req, res)));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, host: `127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** `connections` keep-alive clients sending GET `path` with `headers()` until the deadline. */
async function loop(origin, { path = "/", headers = () => ({}), connect, clients = connections, until = Date.now() + durationMs }) {
  const pool = new Pool(origin, { connections: clients, connect });
  const latencies = [];
  const errors = {};
  const fail = (what) => (errors[what] = (errors[what] ?? 0) + 1);
  const client = async () => {
    while (Date.now() < until) {
      const started = performance.now();
      try {
        const { statusCode, body } = await pool.request({ path, method: "GET", headers: headers() });
        if (statusCode === 200) {
          await body.dump();
          latencies.push(performance.now() - started);
        } else fail(`${statusCode} ${/"code":"(\w+)"/.exec(await body.text())?.[1] ?? ""}`.trim());
      } catch (error) {
        fail(error.code ?? error.message);
      }
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - began) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q) => +(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN).toFixed(1);
  return { rps: Math.round(latencies.length / seconds), p50: at(0.5), p99: at(0.99), errors };
}

async function gateway(yaml, runtime = "workers: 2") {
  return startGateway(parseConfigText(`${yaml}\nadmin: { enabled: false }\nlogging: { level: silent }\nruntime: { ${runtime} }\n`, { source: "bench.yaml" }));
}

const results = {};
const upstream = await serve((_req, res) => res.end("ok"));

// ---- mTLS: the same route on a TLS listener without and with required client certificates.
{
  const ec = { keyType: "ec", algorithm: "sha256" };
  const caExtensions = [
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, critical: true },
  ];
  const ca = await selfsigned.generate([{ name: "commonName", value: "Bench CA" }], { ...ec, extensions: caExtensions });
  const client = await selfsigned.generate([{ name: "commonName", value: "bench-client" }], { ...ec, ca: { key: ca.private, cert: ca.cert } });
  const server = await selfsigned.generate([{ name: "commonName", value: "127.0.0.1" }], ec);
  const dir = mkdtempSync(join(tmpdir(), "portcullis-bench-pki-"));
  for (const [file, text] of [
    ["cert.pem", server.cert],
    ["key.pem", server.private],
    ["ca.pem", ca.cert],
  ])
    writeFileSync(join(dir, file), text);
  const listener = (name, mtls) => `
  - name: ${name}
    host: 127.0.0.1
    port: 0
    tls: { cert: ${dir}/cert.pem, key: ${dir}/key.pem${mtls ? `, clientCertificates: { ca: ${dir}/ca.pem }` : ""} }
    routes: [ { name: up, backend: { url: "${upstream.url}" } } ]`;
  const gw = await gateway(`listeners:${listener("tls", false)}${listener("mtls", true)}`);
  const connect = { rejectUnauthorized: false, cert: client.cert, key: client.private };
  await loop(gw.listeners[0].url, { connect, until: Date.now() + 500 }); // warm-up
  results.tls = await loop(gw.listeners[0].url, { connect });
  results.mtls = await loop(gw.listeners[1].url, { connect });
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
}

// ---- oauth2-introspection and ext-authz: cache hits (one token) and misses (a new token each time).
{
  const idp = await serve((_req, res) => res.end(JSON.stringify({ active: true, sub: "alice", exp: Math.floor(Date.now() / 1000) + 600 })));
  const authz = await serve((_req, res) => res.writeHead(200, { "x-user-id": "alice" }).end());
  const gw = await gateway(`
plugins:
  oauth2-introspection: { path: ${wasm("oauth2-introspection")}, capabilities: { http: { allow: ["${idp.host}"] }, kv: true, clock: true, crypto: true }, limits: { timeoutMs: 2000 } }
  ext-authz: { path: ${wasm("ext-authz")}, capabilities: { http: { allow: ["${authz.host}"] }, kv: true, crypto: true, expression: true }, limits: { timeoutMs: 2000 } }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: introspect
        match: { path: { prefix: /introspect } }
        policies: { request: [ { plugin: oauth2-introspection, with: { endpoint: "${idp.url}/i", clientId: gw, clientSecret: s } } ] }
        backend: { url: "${upstream.url}" }
      - name: authz-cached
        match: { path: { prefix: /authz-cached } }
        policies: { request: [ { plugin: ext-authz, with: { url: "${authz.url}", cache: { key: request.headers.authorization } } } ] }
        backend: { url: "${upstream.url}" }
      - name: authz
        match: { path: { prefix: /authz } }
        policies: { request: [ { plugin: ext-authz, with: { url: "${authz.url}" } } ] }
        backend: { url: "${upstream.url}" }
`);
  const origin = gw.listeners[0].url;
  let n = 0;
  const same = () => ({ authorization: "Bearer same-token" });
  const fresh = () => ({ authorization: `Bearer token-${n++}` });
  results.introspectionCached = await loop(origin, { path: "/introspect", headers: same });
  results.introspectionMiss = await loop(origin, { path: "/introspect", headers: fresh });
  results.extAuthzCached = await loop(origin, { path: "/authz-cached", headers: same });
  results.extAuthzNoCache = await loop(origin, { path: "/authz", headers: same });
  await gw.close();
  idp.close();
  authz.close();
}

// ---- One route's 200 ms authorization calls against another route's cheap policy flow, two workers:
// 4 and 16 clients on the slow route with the default queue of 8 flows per worker, and 4 with 1.
for (const [label, runtime, slowClients] of [
  ["", "workers: 2", 4],
  ["SixteenSlow", "workers: 2", 16],
  ["OneTaskPerWorker", "workers: 2, tasksPerWorker: 1", 4],
]) {
  const slowAuthz = await serve((_req, res) => res.end(), 200);
  const gw = await gateway(
    `
plugins:
  ext-authz: { path: ${wasm("ext-authz")}, capabilities: { http: { allow: ["${slowAuthz.host}"] }, kv: true, crypto: true, expression: true }, limits: { timeoutMs: 2000 } }
  headers: { path: ${wasm("headers")}, capabilities: { expression: true } }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: slow
        match: { path: { prefix: /slow } }
        policies: { request: [ { plugin: ext-authz, with: { url: "${slowAuthz.url}", timeoutMs: 1000 } } ] }
        backend: { url: "${upstream.url}" }
      - name: fast
        policies: { request: [ { plugin: headers, with: { set: { x-bench: "1" } } } ] }
        backend: { url: "${upstream.url}" }
`,
    runtime,
  );
  const origin = gw.listeners[0].url;
  await loop(origin, { path: "/slow", clients: 2, until: Date.now() + 500 }); // warm-up: the workers' first calls
  results[`fastAlone${label}`] = await loop(origin, { path: "/fast" });
  const until = Date.now() + durationMs;
  const [fast, slow] = await Promise.all([loop(origin, { path: "/fast", until }), loop(origin, { path: "/slow", clients: slowClients, until })]);
  results[`fastBesideSlow${label}`] = fast;
  results[`slowBesideFast${label}`] = slow;
  await gw.close();
  slowAuthz.close();
}

upstream.close();
console.log(JSON.stringify({ seconds: durationMs / 1000, connections, results }, null, 2));
