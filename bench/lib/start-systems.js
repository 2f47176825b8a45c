// Starts the systems of a run one by one, checks each answers every workload it is measured on, and
// records why a system is left out (unavailable, skipped by --quick or --only, or failed to start).
import { stopProcess } from "./children.js";
import { WORKLOADS } from "./workloads.js";

async function checkWorkload(system, url, workload) {
  const response = await fetch(`${url}${workload.path}`, {
    method: workload.method,
    body: workload.body,
    headers: workload.body ? { "content-type": workload.contentType } : {},
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${workload.id}: status ${response.status}: ${text.slice(0, 300)}`);
  const problem = system.verify?.(response);
  if (problem) throw new Error(`${workload.id}: ${problem}`);
}

/**
 * Resolves to `{ statuses, running }`: a status per system (`{ id, label, reference, workloads,
 * status, reason }`) and the running ones (`{ system, url, handle }`).
 */
export async function startSystems(systems, ctx, { quick, only, log }) {
  const statuses = [];
  const running = [];
  for (const system of systems) {
    const status = { id: system.id, label: system.label, reference: Boolean(system.reference), workloads: system.workloads, status: "measured" };
    statuses.push(status);
    const unavailable = system.unavailable?.(ctx);
    if (unavailable || !system.start) {
      Object.assign(status, { status: "unavailable", reason: unavailable ?? "not available yet" });
    } else if (quick && system.fullOnly) {
      Object.assign(status, { status: "skipped", reason: "full run only" });
    } else if (only && !only.includes(system.id) && !system.reference) {
      Object.assign(status, { status: "skipped", reason: "not in --only" });
    } else if (system.needsPolicies && !ctx.policies) {
      Object.assign(status, { status: "failed", reason: "the policies could not be built" });
    }
    if (status.status !== "measured") {
      log(`  ${system.label}: ${status.reason}`);
      continue;
    }
    const started = performance.now();
    let handle;
    try {
      const server = await system.start(ctx);
      handle = server.handle;
      for (const id of system.workloads) await checkWorkload(system, server.url, WORKLOADS[id]);
      running.push({ system, ...server });
      log(`  ${system.label}: ${server.url} (pid ${handle.pid}, ready in ${Math.round(performance.now() - started)} ms)`);
    } catch (error) {
      if (handle) await stopProcess(handle);
      Object.assign(status, { status: "failed", reason: String(error.message ?? error).split("\n").slice(0, 6).join(" / ") });
      log(`  ${system.label}: FAILED: ${status.reason}`);
    }
  }
  return { statuses, running };
}
