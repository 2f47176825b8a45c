import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { checkBackends } from "./check-backends.js";
import { checkClientCertificates } from "../listeners/client-certificates.js";
import type { BackendConfig, GatewayConfig, RouteConfig } from "./schema.js";

export interface ConfigIssue {
  path: Array<string | number>;
  message: string;
}

const BACKEND_KINDS = ["url", "targets", "echo", "directResponse", "split"] as const;

/** Rules the schema cannot express: one-of choices, unique names, valid regexes and CIDRs, readable files. */
export function checkConfig(config: GatewayConfig, baseDir: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const listenerNames = new Set<string>();
  config.listeners.forEach((listener, l) => {
    const at = ["listeners", l];
    if (listenerNames.has(listener.name)) issues.push({ path: [...at, "name"], message: `duplicate listener name "${listener.name}"` });
    listenerNames.add(listener.name);
    if (listener.tls) {
      for (const field of ["cert", "key"] as const) {
        const file = resolve(baseDir, listener.tls[field]);
        if (!existsSync(file)) issues.push({ path: [...at, "tls", field], message: `file not found: ${file}` });
      }
      issues.push(...checkClientCertificates(listener.tls.clientCertificates, at, baseDir));
    }
    if (listener.limits.headersTimeoutMs > listener.limits.requestTimeoutMs) {
      issues.push({ path: [...at, "limits", "headersTimeoutMs"], message: "must not be larger than requestTimeoutMs" });
    }
    listener.trustedProxies.forEach((entry, i) => {
      if (!isAddressOrCidr(entry)) issues.push({ path: [...at, "trustedProxies", i], message: `"${entry}" is not an IP address or CIDR` });
    });
    const routeNames = new Set<string>();
    listener.routes.forEach((route, r) => {
      const routeAt = [...at, "routes", r];
      if (routeNames.has(route.name)) issues.push({ path: [...routeAt, "name"], message: `duplicate route name "${route.name}"` });
      routeNames.add(route.name);
      checkRoute(route, routeAt, issues);
    });
  });
  issues.push(...checkBackends(config, baseDir));
  return issues;
}

function checkRoute(route: RouteConfig, at: Array<string | number>, issues: ConfigIssue[]): void {
  const path = route.match.path;
  const pathKinds = (["exact", "prefix", "regex"] as const).filter((k) => path[k] !== undefined);
  if (pathKinds.length !== 1) {
    issues.push({ path: [...at, "match", "path"], message: "expected exactly one of exact, prefix or regex" });
  }
  checkRegex(path.regex, [...at, "match", "path", "regex"], issues);
  for (const list of ["headers", "query"] as const) {
    route.match[list]?.forEach((matcher, i) => {
      if (matcher.exact !== undefined && matcher.regex !== undefined) {
        issues.push({ path: [...at, "match", list, i], message: "expected at most one of exact or regex" });
      }
      checkRegex(matcher.regex, [...at, "match", list, i, "regex"], issues);
    });
  }
  checkBackend(route.backend, [...at, "backend"], issues);
  for (const [method, operation] of Object.entries(route.operations ?? {})) {
    if (route.match.methods && !route.match.methods.includes(method as never)) {
      issues.push({ path: [...at, "operations", method], message: `method ${method} is not in match.methods` });
    }
    if (operation?.backend) checkBackend(operation.backend, [...at, "operations", method, "backend"], issues);
  }
}

function checkBackend(backend: BackendConfig, at: Array<string | number>, issues: ConfigIssue[]): void {
  const kinds = BACKEND_KINDS.filter((k) => backend[k] !== undefined && backend[k] !== false);
  if (kinds.length !== 1) {
    const found = kinds.length ? ` (found ${kinds.join(", ")})` : "";
    issues.push({ path: at, message: `expected exactly one of url, targets, echo or directResponse${found}` });
  }
  if (backend.preserveHost && backend.hostRewrite) {
    issues.push({ path: [...at, "hostRewrite"], message: "hostRewrite and preserveHost cannot both be set" });
  }
}

function checkRegex(source: string | undefined, path: Array<string | number>, issues: ConfigIssue[]): void {
  if (source === undefined) return;
  try {
    new RegExp(source);
  } catch (error) {
    issues.push({ path, message: `invalid regular expression: ${(error as Error).message}` });
  }
}

function isAddressOrCidr(entry: string): boolean {
  const [address, bits, extra] = entry.split("/");
  const family = isIP(address ?? "");
  if (!family || extra !== undefined) return false;
  if (bits === undefined) return true;
  const prefix = Number(bits);
  return /^\d+$/.test(bits) && prefix <= (family === 4 ? 32 : 128);
}
