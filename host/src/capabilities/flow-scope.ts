import type { ExpressionContext } from "./expression/expression-context.js";

/** The flow a worker thread is running, as capabilities need it (one flow at a time per thread). */
export interface FlowScope {
  requestId: string;
  /** The context, or a function building it: called once, and only if a policy evaluates an expression. */
  expression?: ExpressionContext | (() => ExpressionContext);
}

let scope: FlowScope | undefined;
let resolvedExpression: ExpressionContext | undefined;

/** The runtime calls this before each policy call of a flow, and with undefined after the flow. */
export function setFlowScope(next: FlowScope | undefined): void {
  scope = next;
  resolvedExpression = undefined;
}

export function currentRequestId(): string | undefined {
  return scope?.requestId;
}

export function currentExpressionContext(): ExpressionContext | undefined {
  if (resolvedExpression === undefined && scope?.expression !== undefined) {
    const { expression } = scope;
    resolvedExpression = typeof expression === "function" ? expression() : expression;
  }
  return resolvedExpression;
}
