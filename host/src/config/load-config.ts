import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { PortcullisError } from "../errors.js";
import { checkConfig } from "./check-config.js";
import { describeZodIssues, objectSource, yamlSource, type LocatedIssue } from "./describe-issues.js";
import { substituteEnv } from "./env-substitution.js";
import { gatewayConfigSchema, type GatewayConfig } from "./schema.js";

export type { LocatedIssue } from "./describe-issues.js";

export interface LoadedConfig {
  config: GatewayConfig;
  /** Directory that relative paths in the config (TLS files) are resolved against. */
  baseDir: string;
  source: string;
  /** line:column of a path in the file (empty for configs given as objects), for checks made after loading. */
  locate(path: ReadonlyArray<string | number>): { line?: number; column?: number };
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
export function parseConfigText(text: string, options: { source?: string; baseDir?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const source = options.source ?? "<config>";
  const baseDir = options.baseDir ?? process.cwd();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const yaml = yamlSource(doc, lineCounter);
  if (doc.errors.length) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: [], message: e.message.split("\n")[0]!, line, column: col };
      }),
    );
  }
  const missing = substituteEnv(doc, options.env ?? process.env);
  if (missing.length) {
    throw new ConfigError(
      source,
      missing.map((m) => ({
        path: [...m.path],
        message: `environment variable ${m.name} is not set (use \${env.${m.name}:-default} for a default)`,
        ...yaml.locate(m.path),
      })),
    );
  }
  const parsed = gatewayConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw new ConfigError(source, describeZodIssues(parsed.error.issues, yaml));
  const semantic = checkConfig(parsed.data, baseDir);
  if (semantic.length)
    throw new ConfigError(
      source,
      semantic.map((issue) => ({ ...issue, ...yaml.locate(issue.path) })),
    );
  return { config: parsed.data, baseDir, source, locate: yaml.locate };
}

/** Validates a configuration given as an object (the programmatic API); issues carry paths, not lines. */
export function parseConfigObject(input: unknown, baseDir = process.cwd()): LoadedConfig {
  const parsed = gatewayConfigSchema.safeParse(input);
  const source = "<object>";
  if (!parsed.success) throw new ConfigError(source, describeZodIssues(parsed.error.issues, objectSource(input)));
  const semantic = checkConfig(parsed.data, baseDir);
  if (semantic.length) throw new ConfigError(source, semantic);
  return { config: parsed.data, baseDir, source, locate: () => ({}) };
}
