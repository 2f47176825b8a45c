// Starts the systems of a run one by one, checks each answers every workload it is measured on, and
// records why a system is left out (unavailable, skipped by --quick or --only, or failed to start).
import { failureText, stopProcess } from "./children.js";
import { WORKLOADS } from "./workloads.js";

async function checkWorkload(system, url, workload) {
  const response = await fetch(`${url}${workload.path}`, {
    method: workload.method,
    body: workload.body,
    headers: { ...workload.headers, ...(workload.body ? { "content-type": workload.contentType } : {}) },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${workload.id}: status ${response.status}: ${text.slice(0, 300)}`);
  const problem = system.verify?.(response);
  if (problem) throw new Error(`${workload.id}: ${problem}`);
}

/** Why a system is left out of this run, or undefined when it runs. */
function leftOut(system, ctx, { quick, only }) {
  const unavailable = system.unavailable?.(ctx);
  if (unavailable || !system.start) return { status: "unavailable", reason: unavailable ?? "not available yet" };
  if (quick && system.fullOnly) return { status: "skipped", reason: "full run only" };
  if (only && !only.includes(system.id) && !system.reference) return { status: "skipped", reason: "not in --only" };
  if (system.needsPolicies && !ctx.policies) return { status: "failed", reason: "the policies could not be built" };
  return undefined;
}

/** Starts one system and checks it; resolves to the running server, or records why it failed. */
async function startChecked(system, status, ctx) {
  let handle;
  try {
    const server = await system.start(ctx);
    handle = server.handle;
    for (const id of system.workloads) await checkWorkload(system, server.url, WORKLOADS[id]);
    return { system, ...server };
  } catch (error) {
    if (handle) await stopProcess(handle);
    Object.assign(status, { status: "failed", reason: failureText(error, ctx.runDir) });
    return undefined;
  }
}

/**
 * Starts the systems side by side. Resolves to `{ statuses, running }`: a status per system
 * (`{ id, label, reference, workloads, status, reason }`) and the running ones (`{ system, url, handle }`),
 * both in the order of `systems`.
 */
export async function startSystems(systems, ctx, options) {
  const statuses = systems.map((system) => ({
    id: system.id,
    label: system.label,
    reference: Boolean(system.reference),
    workloads: system.workloads,
    status: "measured",
    ...leftOut(system, ctx, options),
  }));
  const started = await Promise.all(systems.map((system, i) => (statuses[i].status === "measured" ? startChecked(system, statuses[i], ctx) : undefined)));
  for (const [i, status] of statuses.entries()) {
    const server = started[i];
    options.log(
      `  ${status.label}: ${server ? `${server.url} (pid ${server.handle.pid})` : `${status.status === "failed" ? "FAILED: " : ""}${status.reason}`}`,
    );
  }
  return { statuses, running: started.filter(Boolean) };
}
