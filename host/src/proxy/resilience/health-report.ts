import type { ListenerRuntime } from "../../listeners/listener-runtime.js";
import type { BackendRuntime, UpstreamBackend, UpstreamTarget } from "../backends.js";

/** An upstream backend of the configuration in force, and where it is used. */
export interface UpstreamSite {
  listener: string;
  route: string;
  /** backend, fallback, mirror; under a split `split[i].backend`; under an operation `operations.POST.backend`. */
  role: string;
  backend: UpstreamBackend;
}

/** Every upstream backend (with its fallback and mirror) of these listeners' routes and operations. */
export function* upstreamSites(runtimes: Iterable<ListenerRuntime>): Generator<UpstreamSite> {
  for (const listener of runtimes) {
    for (const route of listener.routes) {
      const at = { listener: listener.name, route: route.name };
      yield* sitesOf(route.backend, at, "");
      for (const [method, backend] of route.operationBackends ?? []) yield* sitesOf(backend, at, `operations.${method}.`);
    }
  }
}

function* sitesOf(backend: BackendRuntime, at: { listener: string; route: string }, prefix: string): Generator<UpstreamSite> {
  if (backend.kind === "split") {
    for (const [i, choice] of backend.choices.entries()) yield* sitesOf(choice.backend, at, `${prefix}split[${i}].`);
    return;
  }
  if (backend.kind !== "upstream") return;
  yield { ...at, role: `${prefix}backend`, backend };
  if (backend.fallback?.kind === "upstream") yield { ...at, role: `${prefix}fallback`, backend: backend.fallback };
  if (backend.mirror) yield { ...at, role: `${prefix}mirror`, backend: backend.mirror.backend };
}

/** healthy (in rotation), ejected (passive outlier ejection), unhealthy (failing its active checks). */
export type TargetState = "healthy" | "ejected" | "unhealthy";

export function targetState(target: UpstreamTarget, now = performance.now()): TargetState {
  if (target.health.ejected(now)) return "ejected";
  return target.health.checkedHealthy ? "healthy" : "unhealthy";
}

/** The URL a target is configured with (origin and base path), its label in the report and the metrics. */
export function targetUrl(target: UpstreamTarget): string {
  return target.origin + target.basePath;
}

/** GET /backends: every upstream backend in force, each target's state, since when, and its failure counts. */
export function backendHealthReport(runtimes: Iterable<ListenerRuntime>, now = performance.now()): { backends: unknown[] } {
  const backends = [...upstreamSites(runtimes)].map(({ listener, route, role, backend }) => ({
    listener,
    route,
    role,
    name: backend.name ?? null,
    activeChecks: backend.config.healthCheck !== undefined,
    /** The retry budget's view: requests in flight to the backend, and how many of them are retrying. */
    inFlight: backend.budget.inFlight,
    targets: backend.targets.map((target) => {
      const { health } = target;
      const state = targetState(target, now);
      // Back from an ejection: the state changed when the ejection ended, unless a check verdict came later.
      const since = state !== "ejected" && health.ejectedUntil > health.changedAt ? health.ejectedUntil : health.changedAt;
      return {
        url: targetUrl(target),
        healthy: state === "healthy",
        state,
        since: wallClock(since),
        consecutiveFailures: health.consecutiveFailures,
        ejections: health.ejectionsTotal,
        ejectedUntil: state === "ejected" ? wallClock(health.ejectedUntil) : null,
        inFlight: target.active,
      };
    }),
  }));
  return { backends };
}

function wallClock(at: number): string {
  return new Date(performance.timeOrigin + at).toISOString();
}
