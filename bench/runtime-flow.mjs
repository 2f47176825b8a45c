// One request flow (one pass policy) through PolicyRuntime.run, without HTTP: flows per second and
// process CPU per flow (all threads) at 1 and 50 in flight, then the same flow run in-thread by a
// FlowExecutor, whose cost subtracted from the 50-in-flight figure is the channel's own cost per flow.
// On Linux it also prints each thread's CPU per flow (main, the policy workers, and V8's platform threads,
// whose work is mostly garbage collection).
// H=<n> sets the number of request headers (default 8); CHANNEL=direct|piscina picks runtime.channel.
// Run after `npm run build`: node bench/runtime-flow.mjs
import { preparePolicies, PolicyRuntime } from "../host/dist/runtime/policy-runtime.js";
import { inThreadExecutor, passRouteConfig } from "./lib/in-thread-executor.js";
import { pino } from "pino";
import { existsSync, readdirSync, readFileSync } from "node:fs";
const channel = process.env.CHANNEL ? `, channel: ${process.env.CHANNEL}` : "";
const loaded = passRouteConfig("{ request: [ { plugin: pass } ] }", channel);
const prepared = await preparePolicies(loaded);
const runtime = PolicyRuntime.start(prepared, loaded, pino({ level: "silent" }));
await runtime.warmUp(loaded);
const steps = runtime.chains("main", "r", "GET").request;
const head = {
  method: "GET",
  scheme: "http",
  authority: "x",
  path: "/p",
  query: "",
  headers: Array.from({ length: Number(process.env.H ?? 8) }, (_, i) => ({ name: `h${i}`, value: "v".repeat(20) })),
  clientAddress: "127.0.0.1",
  requestId: "abc",
  listener: "main",
  route: "r",
};
const task = () => ({ flow: "request", listener: "main", withListenerChain: false, route: "r", head, body: undefined, bodyTooLarge: false, metadata: [] });
const total = 20000;
/** CPU microseconds of each of this process's threads so far (Linux /proc; empty elsewhere). */
const threadCpu = () => {
  if (!existsSync("/proc/self/task")) return {};
  const ticks = {};
  for (const id of readdirSync("/proc/self/task")) {
    const fields = readFileSync(`/proc/self/task/${id}/stat`, "utf8").split(") ")[1].split(" ");
    ticks[id] = (Number(fields[11]) + Number(fields[12])) * 10_000; // utime + stime, 100 Hz ticks
  }
  return ticks;
};
const perFlow = (c0) => {
  const cpu = process.cpuUsage(c0);
  return (cpu.user + cpu.system) / total;
};
let cpu50 = 0;
for (const conc of [1, 50]) {
  let done = 0;
  const threads0 = threadCpu();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (done < total) {
        done++;
        await runtime.run(task(), steps, "127.0.0.1");
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu = perFlow(c0);
  if (conc === 50) cpu50 = cpu;
  // Which threads spent it: the main thread (the one whose id is the pid), the workers, and V8's own (GC).
  const shares = Object.entries(threadCpu())
    .map(([id, us]) => [id === String(process.pid) ? "main" : id, (us - (threads0[id] ?? 0)) / total])
    .filter(([, us]) => us >= 0.5)
    .sort((a, b) => b[1] - a[1]);
  if (shares.length) console.log(`  by thread: ${shares.map(([id, us]) => `${id} ${us.toFixed(1)}`).join(", ")} us/flow`);
  console.log(
    `conc ${conc}: ${((total / ms) * 1000).toFixed(0)} flows/s, ${((ms * 1000) / total).toFixed(1)} us wall/flow, process CPU ${cpu.toFixed(1)} us/flow`,
  );
}
await runtime.close();

// The same flow without any crossing: a FlowExecutor on this thread, set up as a worker's is.
const executor = inThreadExecutor(prepared, loaded);
for (let i = 0; i < 2000; i++) executor.run({ ...task(), quarantined: [], slot: -1 });
const c0 = process.cpuUsage();
for (let i = 0; i < total; i++) executor.run({ ...task(), quarantined: [], slot: -1 });
const inThread = perFlow(c0);
console.log(`in-thread: ${inThread.toFixed(1)} us/flow; the channel's own cost at 50 in flight: ${(cpu50 - inThread).toFixed(1)} us/flow`);
