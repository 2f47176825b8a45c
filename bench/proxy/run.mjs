// Zero-policy proxy throughput: Portcullis against a bare node:http + undici forwarder, same upstream.
// Usage: node bench/proxy/run.mjs [seconds=3] [connections=50] [rounds=3]   (build first: npm run build)
// After a warm-up, each round loads each target for `seconds` with a bounded closed loop of `connections`
// concurrent keep-alive clients, alternating targets; medians over the rounds are reported.
// Client, proxy and upstream share the machine, so req/s moves with its load; the proxy's CPU time per
// request (from /proc, Linux) is the steadier figure to compare.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { closedLoop } from "../lib/closed-loop.js";

const seconds = Number(process.argv[2] ?? 3);
const connections = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 3);
const script = fileURLToPath(new URL("./servers.mjs", import.meta.url));
const children = [];

/** Starts a role of servers.mjs; resolves to its port and pid. */
async function start(role, upstreamPort = "") {
  const child = spawn(process.execPath, [script, role, String(upstreamPort)], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const [data] = await once(child.stdout, "data");
  child.stdout.resume(); // the gateway's access log follows: read and drop it, as a log shipper would
  return { port: Number(String(data).split("\n", 1)[0]), pid: child.pid };
}

async function load(port, durationMs, pid) {
  const run = await closedLoop(port, { durationMs, connections, pid });
  return { rps: Math.round(run.rps), p50: run.p50?.toFixed(2), p99: run.p99?.toFixed(2), errors: run.errors, cpuPerRequest: run.cpuPerRequest.toFixed(1) };
}

try {
  const upstream = await start("upstream");
  const targets = {};
  const roles = ["bare", "gateway", "gateway-nolog"];
  for (const role of roles) {
    targets[role] = await start(role, upstream.port);
    await load(targets[role].port, 1_000, targets[role].pid); // warm-up: JIT, pools
  }
  const runs = Object.fromEntries(roles.map((role) => [role, []]));
  for (let round = 0; round < rounds; round++) {
    for (const role of Object.keys(runs)) runs[role].push(await load(targets[role].port, seconds * 1_000, targets[role].pid));
  }
  const median = (values) => values.map(Number).sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const results = {};
  for (const [role, list] of Object.entries(runs)) {
    results[role] = {
      rps: median(list.map((r) => r.rps)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      cpuPerRequest: median(list.map((r) => r.cpuPerRequest)),
      errors: list.reduce((sum, r) => sum + r.errors, 0),
    };
  }
  console.log(`zero-policy proxy, ${connections} connections, ${rounds} x ${seconds}s each, small GET, medians (node ${process.version})`);
  for (const [role, r] of Object.entries(results)) {
    console.log(
      `  ${role.padEnd(13)} ${String(r.rps).padStart(7)} req/s   p50 ${r.p50} ms   p99 ${r.p99} ms   proxy CPU ${r.cpuPerRequest} us/req   errors ${r.errors}`,
    );
  }
  for (const role of roles.slice(1)) {
    const ratio = (key) => (results[role][key] / results.bare[key]).toFixed(2);
    console.log(`  ${role}/bare: throughput ${ratio("rps")}, CPU per request ${ratio("cpuPerRequest")}`);
  }
} finally {
  for (const child of children) child.kill();
}
