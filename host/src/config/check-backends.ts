import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { compileExpression } from "../capabilities/expression/cel.js";
import type { ConfigIssue } from "./check-config.js";
import type { BackendBaseConfig, BackendConfig, GatewayConfig } from "./schema.js";

type Path = Array<string | number>;

const PLAIN_KINDS = ["url", "targets", "echo", "directResponse"] as const;

/** Resilience rules the schema cannot express: split/fallback/mirror shapes, hash keys, TLS files. */
export function checkBackends(config: GatewayConfig, baseDir: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.listeners.forEach((listener, l) => {
    listener.routes.forEach((route, r) => {
      const at: Path = ["listeners", l, "routes", r];
      checkBackend(route.backend, [...at, "backend"], baseDir, issues);
      for (const [method, operation] of Object.entries(route.operations ?? {})) {
        if (operation?.backend) checkBackend(operation.backend, [...at, "operations", method, "backend"], baseDir, issues);
      }
    });
  });
  return issues;
}

function checkBackend(backend: BackendConfig, at: Path, baseDir: string, issues: ConfigIssue[]): void {
  checkPlain(backend, at, baseDir, issues);
  backend.split?.forEach((choice, i) => {
    checkNested(choice.backend, [...at, "split", i, "backend"], baseDir, issues);
  });
  if (backend.split && (backend.fallback || backend.mirror)) {
    issues.push({ path: at, message: "fallback and mirror go on the split's backends, not on the split" });
  }
  if (backend.mirror) checkNested(backend.mirror.backend, [...at, "mirror", "backend"], baseDir, issues, true);
  if (backend.fallback) {
    const { directResponse, backend: other } = backend.fallback;
    if ((directResponse === undefined) === (other === undefined)) {
      issues.push({ path: [...at, "fallback"], message: "expected exactly one of directResponse or backend" });
    }
    if (other) checkNested(other, [...at, "fallback", "backend"], baseDir, issues, true);
  }
}

/** A backend inside a split, mirror or fallback; mirror and fallback backends must call an upstream. */
function checkNested(backend: BackendBaseConfig, at: Path, baseDir: string, issues: ConfigIssue[], upstreamOnly = false): void {
  const kinds = PLAIN_KINDS.filter((k) => backend[k] !== undefined && backend[k] !== false);
  if (kinds.length !== 1) issues.push({ path: at, message: "expected exactly one of url, targets, echo or directResponse" });
  else if (upstreamOnly && kinds[0] !== "url" && kinds[0] !== "targets") issues.push({ path: at, message: "expected url or targets" });
  checkPlain(backend, at, baseDir, issues);
}

function checkPlain(backend: BackendBaseConfig, at: Path, baseDir: string, issues: ConfigIssue[]): void {
  const { policy, hashKey } = backend.loadBalancing;
  if (policy === "consistent-hash" && hashKey === undefined) {
    issues.push({ path: [...at, "loadBalancing", "hashKey"], message: "consistent-hash needs a hashKey (a CEL expression)" });
  }
  if (hashKey !== undefined) {
    const compiled = compileExpression(hashKey);
    if (compiled.tag === "err") issues.push({ path: [...at, "loadBalancing", "hashKey"], message: `invalid CEL: ${compiled.val.val}` });
  }
  const { backoff } = backend.retries;
  if (backoff.baseMs > backoff.maxMs) issues.push({ path: [...at, "retries", "backoff", "baseMs"], message: "must not be larger than maxMs" });
  const { outlierDetection: outlier } = backend;
  if (outlier.baseEjectionMs > outlier.maxEjectionMs) {
    issues.push({ path: [...at, "outlierDetection", "baseEjectionMs"], message: "must not be larger than maxEjectionMs" });
  }
  const { tls } = backend;
  if (!tls) return;
  if ((tls.cert === undefined) !== (tls.key === undefined)) issues.push({ path: [...at, "tls"], message: "cert and key go together" });
  for (const field of ["ca", "cert", "key"] as const) {
    const file = tls[field] === undefined ? undefined : resolve(baseDir, tls[field]);
    if (file !== undefined && !existsSync(file)) issues.push({ path: [...at, "tls", field], message: `file not found: ${file}` });
  }
}
