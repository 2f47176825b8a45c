import { isMap, isPair, isScalar, type Document, type LineCounter, type Node } from "yaml";
import type { z } from "zod";
import { gatewayConfigSchema } from "./schema.js";
import { closestMatch } from "./suggest.js";
import { knownKeysAt } from "./zod-walk.js";
import type { ConfigIssue } from "./check-config.js";

export interface LocatedIssue extends ConfigIssue {
  line?: number;
  column?: number;
}

type Path = ReadonlyArray<string | number>;
type Position = { line?: number; column?: number };

/** Where issues are looked up: the YAML document (with positions) or a plain object (without). */
export interface IssueSource {
  has(path: Path): boolean;
  get(path: Path): unknown;
  /** Position of the deepest node that exists along `path`. */
  locate(path: Path): Position;
  /** Position of `key` itself in the mapping at `mapPath`. */
  locateKey(mapPath: Path, key: string): Position;
}

export function yamlSource(doc: Document, lineCounter: LineCounter): IssueSource {
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate = (path: Path): Position => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = (depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)) as Node | null | undefined;
      if (node?.range) return at(node.range[0]);
    }
    return {};
  };
  return {
    has: (path) => doc.hasIn(path),
    get: (path) => doc.getIn(path),
    locate,
    locateKey(mapPath, key) {
      const map = mapPath.length ? doc.getIn(mapPath, true) : doc.contents;
      const pair = isMap(map) ? map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key) : undefined;
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      return range ? at(range[0]) : locate(mapPath);
    },
  };
}

export function objectSource(input: unknown): IssueSource {
  const get = (path: Path): unknown =>
    path.reduce<unknown>((value, key) => (value !== null && typeof value === "object" ? (value as Record<string | number, unknown>)[key] : undefined), input);
  return { has: (path) => get(path) !== undefined, get, locate: () => ({}), locateKey: () => ({}) };
}

/** Turns zod issues into messages an operator can act on: unknown keys with a suggestion, missing keys, positions. */
export function describeZodIssues(issues: readonly z.core.$ZodIssue[], source: IssueSource): LocatedIssue[] {
  return issues.flatMap((issue): LocatedIssue[] => {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownKey(path, key, source));
    if (issue.code === "invalid_key" && path.length) return [unknownKey(path.slice(0, -1), String(path[path.length - 1]), source)];
    if (issue.code === "invalid_type" && path.length && !source.has(path)) {
      const message = `missing required key "${String(path[path.length - 1])}" (expected ${issue.expected})`;
      return [{ path, message, ...source.locate(path) }];
    }
    const value = source.get(path);
    const suggestion = issue.code === "invalid_value" && typeof value === "string" ? closestMatch(value, issue.values.map(String)) : undefined;
    const message = suggestion ? `${issue.message} (did you mean "${suggestion}"?)` : issue.message;
    return [{ path, message, ...source.locate(path) }];
  });
}

function unknownKey(mapPath: Path, key: string, source: IssueSource): LocatedIssue {
  const known = knownKeysAt(gatewayConfigSchema, mapPath);
  const suggestion = closestMatch(key, known);
  const hint = suggestion ? ` (did you mean "${suggestion}"?)` : known.length ? ` (expected one of: ${known.join(", ")})` : "";
  return { path: [...mapPath, key], message: `unknown key "${key}"${hint}`, ...source.locateKey(mapPath, key) };
}
