import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { z } from "zod";
import { PortcullisError } from "../errors.js";
import { checkConfig, type ConfigIssue } from "./check-config.js";
import { substituteEnv } from "./env-substitution.js";
import { gatewayConfigSchema, type GatewayConfig } from "./schema.js";
import { closestMatch } from "./suggest.js";
import { knownKeysAt } from "./zod-walk.js";

export interface LoadedConfig {
  config: GatewayConfig;
  /** Directory that relative paths in the config (TLS files) are resolved against. */
  baseDir: string;
  source: string;
}

export interface LocatedIssue extends ConfigIssue {
  line?: number;
  column?: number;
}

/** A configuration that failed to load; `issues` holds every problem found, each with its line:column. */
export class ConfigError extends PortcullisError {
  constructor(
    readonly source: string,
    readonly issues: LocatedIssue[],
  ) {
    super("PCS_ERR_CONFIG_INVALID", `${source}: invalid configuration\n${issues.map((i) => formatIssue(source, i)).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function formatIssue(source: string, issue: LocatedIssue): string {
  const where = issue.line === undefined ? source : `${source}:${issue.line}:${issue.column}`;
  return `  ${where} ${formatPath(issue.path)}: ${issue.message}`;
}

function formatPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const segment of path) out += typeof segment === "number" ? `[${segment}]` : out ? `.${segment}` : segment;
  return out || "(root)";
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new PortcullisError("PCS_ERR_CONFIG_UNREADABLE", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseConfigText(text, { source: file, baseDir: dirname(resolve(file)), env });
}

/** Parses YAML text: syntax, `${env.*}` substitution, schema and semantic checks, all mapped to line:column. */
export function parseConfigText(
  text: string,
  options: { source?: string; baseDir?: string; env?: NodeJS.ProcessEnv } = {},
): LoadedConfig {
  const source = options.source ?? "<config>";
  const baseDir = options.baseDir ?? process.cwd();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: [], message: e.message.split("\n")[0]!, ...at(e.pos[0]) })),
    );
  }
  const missing = substituteEnv(doc, options.env ?? process.env);
  if (missing.length) {
    throw new ConfigError(
      source,
      missing.map((m) => ({ path: [...m.path], message: `environment variable ${m.name} is not set (use \${env.${m.name}:-default} for a default)`, ...at(m.offset) })),
    );
  }
  const parsed = gatewayConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new ConfigError(source, parsed.error.issues.flatMap((issue) => locateZodIssue(issue, doc, at)));
  }
  const semantic = checkConfig(parsed.data, baseDir);
  if (semantic.length) {
    throw new ConfigError(source, semantic.map((issue) => ({ ...issue, ...locate(doc, issue.path, at) })));
  }
  return { config: parsed.data, baseDir, source };
}

/** Validates a configuration given as an object (the programmatic API); issues carry paths, not lines. */
export function parseConfigObject(input: unknown, baseDir = process.cwd()): LoadedConfig {
  const parsed = gatewayConfigSchema.safeParse(input);
  const source = "<object>";
  if (!parsed.success) {
    throw new ConfigError(source, parsed.error.issues.map((i) => ({ path: i.path as Array<string | number>, message: i.message })));
  }
  const semantic = checkConfig(parsed.data, baseDir);
  if (semantic.length) throw new ConfigError(source, semantic);
  return { config: parsed.data, baseDir, source };
}

type Locator = (offset: number) => { line: number; column: number };

function locateZodIssue(issue: z.core.$ZodIssue, doc: Document, at: Locator): LocatedIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(gatewayConfigSchema, path);
    return issue.keys.map((key) => {
      const suggestion = closestMatch(key, known);
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : known.length ? ` (expected one of: ${known.join(", ")})` : "";
      return { path: [...path, key], message: `unknown key "${key}"${hint}`, ...locateKey(doc, path, key, at) };
    });
  }
  if (issue.code === "invalid_key" && path.length) {
    const key = String(path[path.length - 1]);
    const known = knownKeysAt(gatewayConfigSchema, path.slice(0, -1));
    const suggestion = closestMatch(key, known);
    const hint = suggestion ? ` (did you mean "${suggestion}"?)` : ` (expected one of: ${known.join(", ")})`;
    return [{ path, message: `unknown key "${key}"${hint}`, ...locateKey(doc, path.slice(0, -1), key, at) }];
  }
  if (issue.code === "invalid_type" && path.length && !doc.hasIn(path)) {
    return [{ path, message: `missing required key "${String(path[path.length - 1])}" (expected ${issue.expected})`, ...locate(doc, path, at) }];
  }
  if (issue.code === "invalid_value" && typeof doc.getIn(path) === "string") {
    const suggestion = closestMatch(String(doc.getIn(path)), issue.values.map(String));
    if (suggestion) return [{ path, message: `${issue.message} (did you mean "${suggestion}"?)`, ...locate(doc, path, at) }];
  }
  return [{ path, message: issue.message, ...locate(doc, path, at) }];
}

/** Position of the deepest node that exists along `path`. */
function locate(doc: Document, path: ReadonlyArray<string | number>, at: Locator): { line?: number; column?: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = (depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)) as Node | null | undefined;
    if (node?.range) return at(node.range[0]);
  }
  return {};
}

function locateKey(doc: Document, mapPath: ReadonlyArray<string | number>, key: string, at: Locator) {
  const map = mapPath.length ? doc.getIn(mapPath, true) : doc.contents;
  if (isMap(map)) {
    const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
    if (range) return at(range[0]);
  }
  return locate(doc, mapPath, at);
}
