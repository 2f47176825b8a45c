import type { Capabilities } from "@portcullis/sdk/component";

/**
 * The SDK harness has no expression fake: each compiled source evaluates to the JSON text in `results`
 * (absent: an evaluation error); a source containing "(((" does not compile.
 */
export function fakeExpressions(results: Record<string, string>): Capabilities["expression"] {
  const sources: string[] = [];
  return {
    compile: (source) =>
      source.includes("(((") ? { tag: "err", val: { tag: "invalid", val: "unbalanced parentheses" } } : { tag: "ok", val: sources.push(source) - 1 },
    evaluate: (handle) => {
      const result = results[sources[handle]!];
      return result === undefined ? { tag: "err", val: { tag: "evaluation", val: "no such key" } } : { tag: "ok", val: result };
    },
  };
}

/** The direct response of an on-request result, with its body as text. */
export function directResponse(result: unknown): { status: number; headers: Array<{ name: string; value: string }>; body: string } {
  const decision = result as { tag: string; val: { tag: string; val: { status: number; headers: Array<{ name: string; value: string }>; body: Uint8Array } } };
  if (decision.tag !== "ok" || decision.val.tag !== "respond") throw new Error(`not a direct response: ${JSON.stringify(result)}`);
  const { status, headers, body } = decision.val.val;
  return { status, headers, body: Buffer.from(body).toString("utf8") };
}
