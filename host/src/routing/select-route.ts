import type { CompiledRoute, HostMatcher, PathMatcher, RouteTable, ValueMatcher } from "./route-table.js";

/** What route selection looks at. Plain data: the runtime builds it again in a worker after listener policies. */
export interface RouteRequest {
  method: string;
  /** Host header (or :authority) as sent, possibly with a port. */
  host: string | undefined;
  /** Path without the query string. */
  path: string;
  /** Query string without the leading '?', '' when absent. */
  query: string;
  /** Raw header list, name/value alternating, as `IncomingMessage.rawHeaders`. */
  rawHeaders: readonly string[];
}

export type RouteSelection =
  | { kind: "matched"; route: CompiledRoute; params: Record<string, string> | undefined }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "not-found" };

const NOT_FOUND: RouteSelection = Object.freeze({ kind: "not-found" });

/**
 * Picks the first route, in the order written, whose path, hosts, headers, query and methods all match.
 * When the only routes that match fail on the method, the answer is method-not-allowed with their methods.
 * Pure: no I/O, no shared state.
 */
export function selectRoute(table: RouteTable, request: RouteRequest): RouteSelection {
  const hostname = request.host === undefined ? undefined : stripPort(request.host).toLowerCase();
  const query = table.needsQuery ? new URLSearchParams(request.query) : undefined;
  let allow: Set<string> | undefined;
  for (const route of table.routes) {
    const params = matchPath(route.path, request.path);
    if (params === false) continue;
    if (route.hosts && !matchHost(route.hosts, hostname)) continue;
    if (route.headers && !route.headers.every((m) => matchValue(m, headerValue(request.rawHeaders, m.name)))) continue;
    if (route.query && !route.query.every((m) => matchValue(m, query!.get(m.name) ?? undefined))) continue;
    if (route.methods && !route.methods.includes(request.method)) {
      allow ??= new Set();
      for (const method of route.methods) allow.add(method);
      continue;
    }
    return { kind: "matched", route, params };
  }
  return allow ? { kind: "method-not-allowed", allow: [...allow] } : NOT_FOUND;
}

/** Path parameters (regex named groups), undefined when there are none, false when the path does not match. */
function matchPath(matcher: PathMatcher, path: string): Record<string, string> | undefined | false {
  switch (matcher.kind) {
    case "exact":
      return path === matcher.path ? undefined : false;
    case "prefix":
      return path === matcher.prefix || path.startsWith(matcher.prefixWithSlash) ? undefined : false;
    case "regex": {
      const found = matcher.regex.exec(path);
      if (!found) return false;
      return found.groups ? { ...found.groups } : undefined;
    }
  }
}

function matchHost(hosts: HostMatcher[], hostname: string | undefined): boolean {
  if (hostname === undefined) return false;
  for (const host of hosts) {
    if (host.kind === "exact" ? hostname === host.host : hostname.endsWith(host.suffix) && hostname.length > host.suffix.length) {
      return true;
    }
  }
  return false;
}

function matchValue(matcher: ValueMatcher, value: string | undefined): boolean {
  if (value === undefined) return !matcher.present;
  if (matcher.exact !== undefined) return value === matcher.exact;
  if (matcher.regex !== undefined) return matcher.regex.test(value);
  return matcher.present;
}

/** First value of a header in a raw header list (`lowerName` already lower-case). */
export function headerValue(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return rawHeaders[i + 1];
  }
  return undefined;
}

function stripPort(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}
