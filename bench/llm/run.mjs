// A streamed LLM route's cost: POSTs of a chat completion with `stream: true` to an OpenAI-compatible upstream
// that answers 20 content chunks, a usage chunk and [DONE] (23 SSE events, ~4.4 KiB) at once, through five
// routes of one gateway: `plain` (no policy: the stream is piped), `buffered` (token-budget in the response
// flow, the answer buffered whole for it) and `events` (token-budget attached with sseEvents: true: the
// chain runs on the head, each read of events and the end); the last two again with the upstream pacing
// its chunks 5 ms apart (`-paced`: a 100 ms stream, one event per read, as a model generating).
// Figures: answers per second, latency to the last byte and to the first event. Gateway, upstream and
// load share this process: the figures compare the routes, they are not the gateway's throughput.
// Bounded: rounds x cases x milliseconds per run.
// Run after `npx tsc -b` and building the plugin (PORTCULLIS_TEST_PLUGINS=token-budget, or npm run build:plugins):
//   node bench/llm/run.mjs [milliseconds per run, default 2000] [rounds, default 3]
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { parseConfigText, startGateway } from "../../host/dist/index.js";
import { median, rotatingRounds, roundFigures } from "../lib/rotating-rounds.js";

const runMs = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const connections = 8;
const CHUNKS = 20;
const budgetWasm = fileURLToPath(new URL("../../plugins/token-budget/build/token-budget.wasm", import.meta.url));

const frame = (data) => `data: ${JSON.stringify(data)}\n\n`;
const chunkText = (i) => frame({ id: "b", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: `piece ${i} `.padEnd(120, ".") } }] });
const streamBody =
  Array.from({ length: CHUNKS }, (_, i) => chunkText(i)).join("") +
  frame({ id: "b", object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 12, completion_tokens: CHUNKS, total_tokens: 12 + CHUNKS } }) +
  "data: [DONE]\n\n";
// Paths ending in -paced get the chunks 5 ms apart (a 100 ms stream, as a model generating), the others all at once.
const events = streamBody.split(/(?<=\n\n)/);
const upstream = createServer((req, res) => {
  req.resume();
  req.on("end", async () => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (!req.url.endsWith("-paced")) return void res.end(streamBody);
    for (const event of events) {
      res.write(event);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    res.end();
  });
});
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

const budget = `{ key: '"bench"', perDay: 1000000000000 }`;
const route = (name, response) => `
      - name: ${name}
        match: { path: { exact: /${name} } }
${response ? `        policies:\n          request: [ { plugin: token-budget, with: ${budget} } ]\n          response: [ ${response} ]\n` : ""}        backend: { url: ${upstreamUrl} }`;
const gateway = await startGateway(
  parseConfigText(
    `
plugins:
  token-budget: { path: ${budgetWasm}, capabilities: { counters: true, expression: true, crypto: true }, limits: { timeoutMs: 1000 } }
logging: { level: warn }
admin: { enabled: false }
listeners:
  - name: bench
    host: 127.0.0.1
    port: 0
    routes:${route("plain", "")}${route("buffered", `{ plugin: token-budget, with: ${budget} }`)}${route("events", `{ plugin: token-budget, with: ${budget}, sseEvents: true }`)}${route("buffered-paced", `{ plugin: token-budget, with: ${budget} }`)}${route("events-paced", `{ plugin: token-budget, with: ${budget}, sseEvents: true }`)}
`,
    { source: "bench-llm.yaml", env: {} },
  ),
  { logDestination: { write: () => true } },
);
const port = new URL(gateway.listeners[0].url).port;
const body = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "stream please" }], stream: true, stream_options: { include_usage: true } });

async function run(path) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  const deadline = Date.now() + runMs;
  const latencies = [];
  const firsts = [];
  let errors = 0;
  const client = async () => {
    while (Date.now() < deadline) {
      const started = performance.now();
      const { statusCode, body: answer } = await pool.request({ path, method: "POST", headers: { "content-type": "application/json" }, body });
      let text = "";
      for await (const chunk of answer) {
        if (text === "") firsts.push(performance.now() - started);
        text += chunk;
      }
      if (statusCode !== 200 || !text.endsWith("data: [DONE]\n\n")) {
        if (errors++ === 0) console.error(`${path}: first unexpected answer ${statusCode} ${text.slice(0, 200)}`);
      }
      latencies.push(performance.now() - started);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: connections }, client));
  const seconds = (performance.now() - began) / 1000;
  await pool.close();
  const at = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
  return { rps: latencies.length / seconds, p50: at(latencies, 0.5), p99: at(latencies, 0.99), first50: at(firsts, 0.5), errors };
}

// The policy must be counting: the budget's remaining tokens go down by each answer's usage (32).
const remaining = async () =>
  Number(
    await fetch(`http://127.0.0.1:${port}/buffered`, { method: "POST", body }).then((r) => r.text().then(() => r.headers.get("x-ratelimit-remaining-tokens"))),
  );
const before = await remaining();
const after = await remaining();
if (before - after !== 12 + CHUNKS) throw new Error(`token-budget did not charge the usage: ${before} then ${after}`);

const cases = ["/plain", "/buffered", "/events", "/buffered-paced", "/events-paced"];
const samples = await rotatingRounds(cases, rounds, run);
const figures = roundFigures(samples, (runs) => ({ firstEventP50ms: +median(runs.map((s) => s.first50)).toFixed(2) }));
console.log(JSON.stringify({ runMs, rounds, connections, eventsPerAnswer: CHUNKS + 3, figures }, null, 2));
await gateway.close();
await new Promise((resolve) => upstream.close(resolve));
