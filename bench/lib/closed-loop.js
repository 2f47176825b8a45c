// A bounded closed loop of keep-alive clients against one HTTP port, with the serving process's CPU time.
import { Pool } from "undici";
import { cpuMicros } from "./proc-stats.js";

/**
 * `connections` clients each send GET `path` and wait for the whole answer, again and again, for
 * `durationMs`. Returns requests/s, latency quantiles (ms), errors and the CPU microseconds process
 * `pid` used per answered request (Linux /proc; NaN elsewhere).
 */
export async function closedLoop(port, { durationMs, connections, pid, path = "/bench" }) {
  const cpuBefore = cpuMicros(pid);
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  const deadline = Date.now() + durationMs;
  const latencies = [];
  let errors = 0;
  async function client() {
    while (Date.now() < deadline) {
      const started = performance.now();
      try {
        const { statusCode, body } = await pool.request({ path, method: "GET" });
        await body.dump();
        if (statusCode !== 200) errors++;
        latencies.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  }
  const began = performance.now();
  await Promise.all(Array.from({ length: connections }, client));
  const elapsed = (performance.now() - began) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const cpu = cpuMicros(pid) - cpuBefore;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors, cpuPerRequest: cpu / latencies.length };
}
