import type { Pool } from "undici";
import type { BackendConfig, RouteConfig } from "../config/schema.js";
import type { UpstreamPools } from "./upstream-pools.js";

/** A route's (or operation's) backend, ready to serve. */
export type BackendRuntime = UpstreamBackend | EchoBackend | DirectResponseBackend;

export interface UpstreamTarget {
  pool: Pool;
  /** scheme://host:port, for logs and WebSocket handshakes. */
  origin: string;
  /** The target URL's path without a trailing slash, prepended to every request path ('' for '/'). */
  basePath: string;
  /** host[:port] of the target, the default upstream Host header. */
  authority: string;
}

export interface UpstreamBackend {
  kind: "upstream";
  name: string | undefined;
  targets: UpstreamTarget[];
  /** Round-robin cursor. */
  next: number;
  config: BackendConfig;
  /** Prefix of the request path replaced by pathPrefixRewrite (undefined: whole path, for exact/regex routes). */
  rewrittenPrefix: string | undefined;
}

export interface EchoBackend {
  kind: "echo";
  name: string | undefined;
}

export interface DirectResponseBackend {
  kind: "direct";
  name: string | undefined;
  status: number;
  headers: string[];
  body: Buffer;
}

export function createBackend(config: BackendConfig, route: RouteConfig, pools: UpstreamPools): BackendRuntime {
  if (config.echo) return { kind: "echo", name: config.name };
  if (config.directResponse) {
    const { status, headers = {}, body = "" } = config.directResponse;
    const flat = Object.entries(headers).flat();
    return { kind: "direct", name: config.name, status, headers: flat, body: Buffer.from(body) };
  }
  const urls = config.url !== undefined ? [config.url] : (config.targets ?? []).map((t) => t.url);
  const targets = urls.map((raw): UpstreamTarget => {
    const url = new URL(raw);
    return {
      pool: pools.get(url.origin, config),
      origin: url.origin,
      basePath: url.pathname === "/" ? "" : url.pathname.replace(/\/$/, ""),
      authority: url.host,
    };
  });
  const path = route.match.path;
  return {
    kind: "upstream",
    name: config.name,
    targets,
    next: 0,
    config,
    rewrittenPrefix: path.prefix ?? (path.exact === undefined && path.regex === undefined ? "/" : undefined),
  };
}

export function pickTarget(backend: UpstreamBackend): UpstreamTarget {
  const target = backend.targets[backend.next]!;
  backend.next = (backend.next + 1) % backend.targets.length;
  return target;
}

/** The path (with query) to request from the target: base path + the request path after prefix rewriting. */
export function upstreamPath(backend: UpstreamBackend, target: UpstreamTarget, path: string, query: string): string {
  let rewritten = path;
  const replacement = backend.config.pathPrefixRewrite;
  if (replacement !== undefined) {
    const prefix = backend.rewrittenPrefix;
    if (prefix === undefined) rewritten = replacement;
    else {
      const rest = path.slice(prefix.endsWith("/") ? prefix.length - 1 : prefix.length);
      rewritten = replacement.endsWith("/") && rest.startsWith("/") ? replacement + rest.slice(1) : replacement + rest;
    }
  }
  const full = target.basePath + rewritten;
  return query ? `${full}?${query}` : full;
}
