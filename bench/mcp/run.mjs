// An MCP route's cost: POSTs of one JSON-RPC tools/call (~300 bytes) through three routes of one gateway
// to a minimal JSON-RPC upstream: `plain` (no mcp: the body streams through), `mcp` (mcp: true: the host
// reads and parses the body, metadata `mcp`) and `mcp-guard` (mcp: true plus the mcp-guard policy in the
// request flow). Gateway, upstream and load share this process, so the figures compare the routes with
// each other; they are not the gateway's throughput. Bounded: rounds x cases x milliseconds per run.
// Run after `npx tsc -b` and building the plugin:
//   node bench/mcp/run.mjs [milliseconds per run, default 2000] [rounds, default 3]
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { parseConfigText, startGateway } from "../../host/dist/index.js";
import { rotatingRounds, roundFigures } from "../lib/rotating-rounds.js";

const runMs = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const connections = 8;
const guard = fileURLToPath(new URL("../../plugins/mcp-guard/build/mcp-guard.wasm", import.meta.url));

const upstream = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const { id } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: "ok" }] } }));
  });
});
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

const route = (name, extra) => `
      - name: ${name}
        match: { path: { exact: /${name} } }
${extra}        backend: { url: ${upstreamUrl} }`;
const gateway = await startGateway(
  parseConfigText(
    `
plugins:
  mcp-guard: { path: ${guard}, capabilities: { expression: true, counters: true } }
logging: { level: warn }
admin: { enabled: false }
listeners:
  - name: bench
    host: 127.0.0.1
    port: 0
    routes:${route("plain", "")}${route("mcp", "        mcp: true\n")}${route(
      "mcp-guard",
      `        mcp: true
        policies:
          request:
            - plugin: mcp-guard
              with: { rules: [ { effect: deny, tools: ["delete_*"] }, { effect: allow, tools: ["*"] } ] }
`,
    )}
`,
    { source: "bench-mcp.yaml", env: {} },
  ),
  { logDestination: { write: () => true } },
);
const port = new URL(gateway.listeners[0].url).port;

const body = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "search_docs", arguments: { query: "x".repeat(200), limit: 10 } },
});

async function run(path) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  const deadline = Date.now() + runMs;
  const latencies = [];
  let errors = 0;
  const client = async () => {
    while (Date.now() < deadline) {
      const started = performance.now();
      const { statusCode, body: answer } = await pool.request({
        path,
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body,
      });
      const text = await answer.text();
      if (statusCode !== 200 || !text.includes('"result"')) {
        if (errors++ === 0) console.error(`${path}: first unexpected answer ${statusCode} ${text.slice(0, 200)}`);
      }
      latencies.push(performance.now() - started);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: connections }, client));
  const seconds = (performance.now() - began) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), errors };
}

// The guard must be running: a denied tool is answered by the gateway, not the upstream.
const denied = await fetch(`http://127.0.0.1:${port}/mcp-guard`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "delete_all", arguments: {} } }),
}).then((response) => response.json());
if (denied.error?.code !== -32003) throw new Error(`mcp-guard did not deny: ${JSON.stringify(denied)}`);

const cases = ["/plain", "/mcp", "/mcp-guard"];
const samples = await rotatingRounds(cases, rounds, run);
const figures = roundFigures(samples);
console.log(JSON.stringify({ runMs, rounds, connections, figures }, null, 2));
await gateway.close();
await new Promise((resolve) => upstream.close(resolve));
