import type { Environment } from "@marcbachmann/cel-js";
import type { ExpressionError, Result } from "../contract.js";
import { lazyModule, requireLoadsEsm } from "../lazy-module.js";
import type { ExpressionContext } from "./expression-context.js";

type CelModule = typeof import("@marcbachmann/cel-js");
// cel-js is an ES module only: where require() cannot load one, it comes with this module, as it used to.
const eager: CelModule | undefined = requireLoadsEsm ? undefined : await import("@marcbachmann/cel-js");
const loadCel = eager ? () => eager : lazyModule<CelModule>("@marcbachmann/cel-js");
let environment: Environment | undefined;

/**
 * The one CEL setup of the gateway, shared by the `expression` capability and `when:` conditions;
 * cel-js is loaded by the first call (a worker calls it before its first flow when it needs it).
 */
export function celEnvironment(): Environment {
  environment ??= new (loadCel().Environment)({ homogeneousAggregateLiterals: false })
    .registerVariable("request", "map")
    .registerVariable("response", "map")
    .registerVariable("metadata", "map")
    .registerVariable("env", "map")
    .registerVariable("jwt", "map")
    .registerVariable("mcp", "map");
  return environment;
}

export type CompiledExpression = ReturnType<Environment["parse"]>;

/** Parses and type-checks `source`; `invalid` names the problem. */
export function compileExpression(source: string): Result<CompiledExpression, ExpressionError> {
  try {
    const compiled = celEnvironment().parse(source);
    const checked = compiled.check();
    if (!checked.valid) return { tag: "err", val: { tag: "invalid", val: firstLine(checked.error) } };
    return { tag: "ok", val: compiled };
  } catch (error) {
    return { tag: "err", val: { tag: "invalid", val: firstLine(error) } };
  }
}

/**
 * Evaluates against `context`; `jwt` is a shorthand for `metadata.jwt` (the claims the jwt policy stores)
 * and `mcp` for `metadata.mcp` (the JSON-RPC message the host parsed on an MCP route, host/src/mcp).
 */
export function evaluateExpression(compiled: CompiledExpression, context: ExpressionContext): Result<unknown, ExpressionError> {
  try {
    const { request, response, metadata, env } = context;
    // Written out: on Node 20 a spread into a literal with more keys takes a slow path (about 4 us).
    const value: unknown = compiled({ request, response, metadata, env, jwt: mapOrEmpty(metadata.jwt), mcp: mapOrEmpty(metadata.mcp) });
    return { tag: "ok", val: value };
  } catch (error) {
    return { tag: "err", val: { tag: "evaluation", val: firstLine(error) } };
  }
}

/** A `when:` condition: anything but `true` is false, and an evaluation error is reported as such. */
export function evaluateCondition(compiled: CompiledExpression, context: ExpressionContext): Result<boolean, ExpressionError> {
  const result = evaluateExpression(compiled, context);
  if (result.tag === "err") return result;
  if (typeof result.val !== "boolean") {
    return { tag: "err", val: { tag: "evaluation", val: `condition gave ${typeof result.val}, not bool` } };
  }
  return { tag: "ok", val: result.val };
}

/** CEL value -> JSON text: int as number when safe (else string), bytes as base64, timestamps as ISO text. */
export function celValueToJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item === "bigint") return Number.isSafeInteger(Number(item)) ? Number(item) : item.toString();
      if (item instanceof Uint8Array) return Buffer.from(item).toString("base64");
      if (item instanceof Map) return Object.fromEntries(item);
      if (item instanceof Set) return [...item];
      return item;
    }) ?? "null"
  );
}

function mapOrEmpty(value: unknown): object {
  return value !== null && typeof value === "object" ? value : {};
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n", 1)[0] ?? message;
}
