import type { ListenerConfig, RouteConfig, ValueMatchConfig } from "../config/schema.js";

/**
 * A listener's routes compiled for matching. Plain data (strings, RegExps, arrays) so it can be
 * structured-cloned into a worker thread, where the policy runtime re-runs route selection.
 */
export interface RouteTable {
  routes: CompiledRoute[];
  /** True when some route matches on query parameters, so the query string has to be parsed. */
  needsQuery: boolean;
}

export interface CompiledRoute {
  name: string;
  /** Position in the listener's `routes` list. */
  index: number;
  path: PathMatcher;
  /** Upper-case methods, or undefined for any method. */
  methods: string[] | undefined;
  hosts: HostMatcher[] | undefined;
  headers: ValueMatcher[] | undefined;
  query: ValueMatcher[] | undefined;
}

export type PathMatcher = { kind: "exact"; path: string } | { kind: "prefix"; prefix: string; prefixWithSlash: string } | { kind: "regex"; regex: RegExp };

export type HostMatcher = { kind: "exact"; host: string } | { kind: "suffix"; suffix: string };

export interface ValueMatcher {
  /** Lower-case for headers, as written for query parameters. */
  name: string;
  exact: string | undefined;
  regex: RegExp | undefined;
  present: boolean;
}

export function compileRouteTable(listener: ListenerConfig): RouteTable {
  const routes = listener.routes.map(compileRoute);
  return { routes, needsQuery: routes.some((r) => r.query !== undefined) };
}

function compileRoute(route: RouteConfig, index: number): CompiledRoute {
  const { match } = route;
  return {
    name: route.name,
    index,
    path: compilePath(match.path),
    methods: match.methods ? [...match.methods] : undefined,
    hosts: match.hosts?.map(compileHost),
    headers: match.headers?.map((m) => compileValue(m, true)),
    query: match.query?.map((m) => compileValue(m, false)),
  };
}

function compilePath(path: RouteConfig["match"]["path"]): PathMatcher {
  if (path.exact !== undefined) return { kind: "exact", path: path.exact };
  if (path.regex !== undefined) return { kind: "regex", regex: new RegExp(`^(?:${path.regex})$`) };
  const prefix = path.prefix ?? "/";
  return { kind: "prefix", prefix, prefixWithSlash: prefix.endsWith("/") ? prefix : `${prefix}/` };
}

function compileHost(host: string): HostMatcher {
  const lower = host.toLowerCase();
  return lower.startsWith("*.") ? { kind: "suffix", suffix: lower.slice(1) } : { kind: "exact", host: lower };
}

function compileValue(matcher: ValueMatchConfig, isHeader: boolean): ValueMatcher {
  return {
    name: isHeader ? matcher.name.toLowerCase() : matcher.name,
    exact: matcher.exact,
    regex: matcher.regex === undefined ? undefined : new RegExp(matcher.regex),
    present: matcher.present ?? true,
  };
}
