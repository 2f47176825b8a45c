import type { GatewayConfig, HttpMethod, RouteConfig } from "../config/schema.js";
import type { PolicyEntryConfig, PolicyListsConfig } from "./config-schema.js";

/**
 * The policy chains of a configuration, computed once at load. Plain data, so the same plan
 * is posted to every worker. Attachment order is the guarantee operators rely on: for every
 * flow the chain is listener, route, operation (method), backend, each list as written.
 */
export interface PolicyPlan {
  /** One per distinct (plugin, configuration): entries with equal `with:` share an instance. */
  instances: PlanInstance[];
  /** CEL sources of `when:` conditions, indexed by PlanStep.when. */
  conditions: string[];
  listeners: Record<string, ListenerPlan>;
}

export interface PlanInstance {
  plugin: string;
  /** JSON text of the `with:` block handed to `init`. */
  config: string;
}

export interface PlanStep {
  instance: number;
  /** Name in logs, faults and metrics. */
  name: string;
  when: number | undefined;
  /** Where the entry is in the config, e.g. ["listeners", 0, "routes", 1, "policies", "request", 0]. */
  origin: Array<string | number>;
  /** A response policy that takes a text/event-stream answer event by event (runtime/sse-event-flow.ts). */
  sseEvents?: true;
}

export interface FlowChains {
  request: PlanStep[];
  response: PlanStep[];
  fault: PlanStep[];
}

export interface ListenerPlan {
  /** Listener-level request policies, run before route selection. */
  listenerRequest: PlanStep[];
  /** Listener-level response and fault policies, for requests that matched no route. */
  unrouted: FlowChains;
  /**
   * Lower-case names of the headers route selection reads ("host" when a route matches hosts): when a
   * listener-level policy changes one of them, or the method, path, query or authority, the gateway
   * selects the route again before the route's chain runs.
   */
  routingHeaders: string[];
  /** Per route name: the full chains after route selection (listener request excluded). */
  routes: Record<string, RouteChains>;
}

export interface RouteChains {
  /** Methods with an operation of their own. */
  operations: Record<string, FlowChains>;
  /** Every other method, extension methods (PROPFIND, PURGE, ...) included. */
  other: FlowChains;
}

export const EMPTY_CHAINS: FlowChains = Object.freeze({
  request: [],
  response: [],
  fault: [],
}) as FlowChains;

type Lists = PolicyListsConfig | undefined;

export function buildPolicyPlan(config: GatewayConfig): PolicyPlan {
  const instances: PlanInstance[] = [];
  const instanceKeys = new Map<string, number>();
  const conditions: string[] = [];
  const conditionKeys = new Map<string, number>();

  const step = (entry: PolicyEntryConfig, origin: Array<string | number>): PlanStep => {
    const configText = JSON.stringify(entry.with ?? {});
    const key = `${entry.plugin}\u0000${configText}`;
    let instance = instanceKeys.get(key);
    if (instance === undefined) {
      instance = instances.push({ plugin: entry.plugin, config: configText }) - 1;
      instanceKeys.set(key, instance);
    }
    let when: number | undefined;
    if (entry.when !== undefined) {
      when = conditionKeys.get(entry.when);
      if (when === undefined) {
        when = conditions.push(entry.when) - 1;
        conditionKeys.set(entry.when, when);
      }
    }
    const planned: PlanStep = { instance, name: entry.name ?? entry.plugin, when, origin };
    if (entry.sseEvents) planned.sseEvents = true;
    return planned;
  };
  const steps = (lists: Lists, flow: keyof FlowChains, origin: Array<string | number>): PlanStep[] =>
    (lists?.[flow] ?? []).map((entry, i) => step(entry, [...origin, "policies", flow, i]));

  const listeners: Record<string, ListenerPlan> = {};
  config.listeners.forEach((listener, li) => {
    const at = ["listeners", li];
    const own: FlowChains = {
      request: steps(listener.policies, "request", at),
      response: steps(listener.policies, "response", at),
      fault: steps(listener.policies, "fault", at),
    };
    const routes: ListenerPlan["routes"] = {};
    listener.routes.forEach((route, ri) => {
      const routeAt = [...at, "routes", ri];
      const chainsOf = (method: HttpMethod | undefined): FlowChains => {
        const operation = method === undefined ? undefined : route.operations?.[method];
        const backend = operation?.backend ?? route.backend;
        const backendAt = operation?.backend ? [...routeAt, "operations", method!, "backend"] : [...routeAt, "backend"];
        const chains = {} as FlowChains;
        for (const flow of ["request", "response", "fault"] as const) {
          chains[flow] = [
            ...(flow === "request" ? [] : own[flow]),
            ...steps(route.policies, flow, routeAt),
            ...steps(operation?.policies, flow, [...routeAt, "operations", method!]),
            ...steps(backend.policies, flow, backendAt),
          ];
        }
        return chains;
      };
      const operations: Record<string, FlowChains> = {};
      for (const method of Object.keys(route.operations ?? {}) as HttpMethod[]) operations[method] = chainsOf(method);
      routes[route.name] = { operations, other: chainsOf(undefined) };
    });
    listeners[listener.name] = {
      listenerRequest: own.request,
      unrouted: { request: [], response: own.response, fault: own.fault },
      routingHeaders: routingHeadersOf(listener.routes),
      routes,
    };
  });
  return { instances, conditions, listeners };
}

/**
 * The chains of a request after route selection. Any method gets the route's chains (an operation
 * adds its own for its method only); an unknown route falls back to the listener's own chains.
 */
export function chainsFor(listener: ListenerPlan, route: string | undefined, method: string): FlowChains {
  const chains = route === undefined ? undefined : listener.routes[route];
  if (chains === undefined) return listener.unrouted;
  return Object.hasOwn(chains.operations, method) ? chains.operations[method]! : chains.other;
}

/** The plugins the plan uses, each with the instances that configure it. */
export function instancesByPlugin(plan: PolicyPlan): Map<string, number[]> {
  const byPlugin = new Map<string, number[]>();
  plan.instances.forEach((instance, index) => {
    const list = byPlugin.get(instance.plugin);
    if (list) list.push(index);
    else byPlugin.set(instance.plugin, [index]);
  });
  return byPlugin;
}

/** For each instance, where in the config it is first attached. */
export function firstOrigins(plan: PolicyPlan): Map<number, Array<string | number>> {
  const origins = new Map<number, Array<string | number>>();
  const visit = (steps: readonly PlanStep[]) => {
    for (const step of steps) if (!origins.has(step.instance)) origins.set(step.instance, step.origin);
  };
  for (const listener of Object.values(plan.listeners)) {
    visit(listener.listenerRequest);
    for (const flow of ["request", "response", "fault"] as const) visit(listener.unrouted[flow]);
    for (const route of Object.values(listener.routes)) {
      for (const chains of [...Object.values(route.operations), route.other]) for (const flow of ["request", "response", "fault"] as const) visit(chains[flow]);
    }
  }
  return origins;
}

function routingHeadersOf(routes: readonly RouteConfig[]): string[] {
  const names = new Set<string>();
  for (const { match } of routes) {
    if (match.hosts) names.add("host");
    for (const header of match.headers ?? []) names.add(header.name.toLowerCase());
  }
  return [...names];
}
