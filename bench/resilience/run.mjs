// Cost of retries, outlier detection and health checks on the no-failure path.
// Usage: node bench/resilience/run.mjs [seconds=3] [connections=50] [rounds=3]   (build first: npm run build)
// Three upstream processes; three gateway processes (servers.mjs: off, defaults, checked) loaded in turn
// with a bounded closed loop after a warm-up, in a rotating order; medians over the rounds, and each
// variant's ratio to "off".
// The gateway's CPU time per request (Linux /proc) is the steadier figure on a shared machine.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { closedLoop } from "../lib/closed-loop.js";

const seconds = Number(process.argv[2] ?? 3);
const connections = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 3);
const script = fileURLToPath(new URL("./servers.mjs", import.meta.url));
const children = [];

async function start(role, ports = []) {
  const child = spawn(process.execPath, [script, role, ...ports.map(String)], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const [data] = await once(child.stdout, "data");
  child.stdout.resume();
  return { port: Number(String(data).split("\n", 1)[0]), pid: child.pid };
}

const median = (values) => values.map(Number).sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  const upstreams = await Promise.all([1, 2, 3].map(() => start("upstream")));
  const ports = upstreams.map((u) => u.port);
  const roles = ["off", "defaults", "checked"];
  const gateways = {};
  for (const role of roles) {
    gateways[role] = await start(role, ports);
    await closedLoop(gateways[role].port, { durationMs: 1_000, connections, pid: gateways[role].pid });
  }
  const runs = Object.fromEntries(roles.map((role) => [role, []]));
  for (let round = 0; round < rounds; round++) {
    const order = [...roles.slice(round % roles.length), ...roles.slice(0, round % roles.length)]; // no fixed first slot
    for (const role of order) {
      const run = await closedLoop(gateways[role].port, { durationMs: seconds * 1_000, connections, pid: gateways[role].pid });
      runs[role].push(run);
    }
  }
  console.log(`resilience on the no-failure path, 3 targets, ${connections} connections, ${rounds} x ${seconds}s, medians (node ${process.version})`);
  const off = { rps: median(runs.off.map((r) => r.rps)), cpu: median(runs.off.map((r) => r.cpuPerRequest)) };
  for (const role of roles) {
    const rps = median(runs[role].map((r) => r.rps));
    const cpu = median(runs[role].map((r) => r.cpuPerRequest));
    const errors = runs[role].reduce((sum, r) => sum + r.errors, 0);
    console.log(
      `  ${role.padEnd(9)} ${String(Math.round(rps)).padStart(7)} req/s   gateway CPU ${cpu.toFixed(1)} us/req   errors ${errors}` +
        `   vs off: throughput ${(rps / off.rps).toFixed(3)}, CPU ${(cpu / off.cpu).toFixed(3)}`,
    );
  }
} finally {
  for (const child of children) child.kill();
}
