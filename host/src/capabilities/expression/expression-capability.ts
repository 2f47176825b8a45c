import type { Capabilities } from "../contract.js";
import { celValueToJson, compileExpression, evaluateExpression, type CompiledExpression } from "./cel.js";
import { currentExpressionContext } from "../flow-scope.js";

/** Most expressions one plugin instance may compile (they are kept for the instance's life). */
const MAX_EXPRESSIONS = 1024;

/** The `expression` capability of one plugin instance: handles index its own compiled expressions. */
export function createExpression(): Capabilities["expression"] {
  const compiled: CompiledExpression[] = [];
  return {
    compile(source) {
      if (compiled.length >= MAX_EXPRESSIONS) {
        return { tag: "err", val: { tag: "invalid", val: `at most ${MAX_EXPRESSIONS} expressions per plugin instance` } };
      }
      const result = compileExpression(source);
      if (result.tag === "err") return result;
      compiled.push(result.val);
      return { tag: "ok", val: compiled.length - 1 };
    },
    evaluate(handle) {
      const expression = compiled[handle];
      if (!expression) return { tag: "err", val: { tag: "evaluation", val: `unknown expression handle ${handle}` } };
      const context = currentExpressionContext();
      if (!context) return { tag: "err", val: { tag: "evaluation", val: "no flow is running (expressions evaluate during flows)" } };
      const result = evaluateExpression(expression, context);
      if (result.tag === "err") return result;
      try {
        return { tag: "ok", val: celValueToJson(result.val) };
      } catch (error) {
        return { tag: "err", val: { tag: "evaluation", val: `result is not JSON: ${(error as Error).message}` } };
      }
    },
  };
}
