import { afterEach, describe, expect, it } from "vitest";
import { compileExpression, evaluateCondition, expressionContextFrom, setFlowScope } from "../../host/src/capabilities/index.js";
import { createExpression } from "../../host/src/capabilities/expression/expression-capability.js";
import type { RequestHead } from "../../host/src/capabilities/contract.js";

const request: RequestHead = {
  method: "POST",
  scheme: "https",
  authority: "api.example.com",
  path: "/orders/42",
  query: "page=2&tag=a&tag=b",
  headers: [
    { name: "X-User", value: "alice" },
    { name: "x-user", value: "mallory" },
    { name: "Content-Type", value: "application/json" },
  ],
  clientAddress: "203.0.113.9",
  requestId: "req-1",
  listener: "main",
  route: "orders",
};

const metadata = [
  { key: "consumer", value: '"acme"' },
  { key: "limit", value: "1000" },
  { key: "ratio", value: "0.5" },
  { key: "jwt", value: '{"sub":"alice","roles":["admin","dev"],"exp":1700000000}' },
  { key: "raw", value: "not json" },
];

describe("expression capability (CEL)", () => {
  afterEach(() => setFlowScope(undefined));

  it("evaluates compiled expressions against the current flow, results as JSON text", () => {
    const expression = createExpression();
    let built = 0;
    setFlowScope({
      requestId: "req-1",
      expression: () => {
        built++;
        return expressionContextFrom({ request, metadata, env: { STAGE: "prod" } });
      },
    });
    const evaluate = (source: string) => {
      const compiled = expression.compile(source);
      if (compiled.tag === "err") throw new Error(compiled.val.val);
      return expression.evaluate(compiled.val);
    };
    expect(evaluate('request.headers["x-user"]')).toEqual({ tag: "ok", val: '"alice"' });
    expect(evaluate("request.query.page")).toEqual({ tag: "ok", val: '"2"' });
    expect(evaluate("request.query.tag")).toEqual({ tag: "ok", val: '"a"' });
    expect(evaluate("metadata.limit + 1")).toEqual({ tag: "ok", val: "1001" });
    expect(evaluate("metadata.ratio * 2.0")).toEqual({ tag: "ok", val: "1" });
    expect(evaluate('jwt.sub + ":" + metadata.consumer')).toEqual({ tag: "ok", val: '"alice:acme"' });
    expect(evaluate('"admin" in jwt.roles && request.method == "POST"')).toEqual({ tag: "ok", val: "true" });
    expect(evaluate("metadata.raw")).toEqual({ tag: "ok", val: '"not json"' });
    expect(evaluate("env.STAGE")).toEqual({ tag: "ok", val: '"prod"' });
    expect(evaluate("has(env.UNSET)")).toEqual({ tag: "ok", val: "false" });
    expect(evaluate('{"who": jwt.sub, "n": [1, 2.5], "b": b"hi"}')).toEqual({ tag: "ok", val: '{"who":"alice","n":[1,2.5],"b":"aGk="}' });
    expect(evaluate("9007199254740993")).toEqual({ tag: "ok", val: '"9007199254740993"' });
    expect(built).toBe(1);
  });

  it("sees the flow set last, and errors outside a flow", () => {
    const expression = createExpression();
    const handle = expression.compile("request.path");
    if (handle.tag === "err") throw new Error("compile failed");
    expect(expression.evaluate(handle.val)).toMatchObject({ tag: "err", val: { tag: "evaluation" } });
    setFlowScope({ requestId: "a", expression: expressionContextFrom({ request, metadata: [] }) });
    expect(expression.evaluate(handle.val)).toEqual({ tag: "ok", val: '"/orders/42"' });
    setFlowScope({ requestId: "b", expression: expressionContextFrom({ request: { ...request, path: "/b" }, metadata: [] }) });
    expect(expression.evaluate(handle.val)).toEqual({ tag: "ok", val: '"/b"' });
  });

  it("reports invalid sources, evaluation errors and unknown handles as variants", () => {
    const expression = createExpression();
    expect(expression.compile("1 +")).toMatchObject({ tag: "err", val: { tag: "invalid" } });
    expect(expression.compile('1 + "a"')).toMatchObject({ tag: "err", val: { tag: "invalid" } });
    expect(expression.compile("undeclared.x")).toMatchObject({ tag: "err", val: { tag: "invalid" } });
    setFlowScope({ requestId: "a", expression: expressionContextFrom({ request, metadata: [] }) });
    const missing = expression.compile('request.headers["absent"]');
    if (missing.tag === "err") throw new Error("compile failed");
    const result = expression.evaluate(missing.val);
    expect(result).toMatchObject({ tag: "err", val: { tag: "evaluation" } });
    expect((result as { val: { val: string } }).val.val).toContain("absent");
    expect(expression.evaluate(999)).toMatchObject({ tag: "err", val: { tag: "evaluation" } });
  });

  it("evaluates when: conditions with a response in the context", () => {
    const compiled = compileExpression('response.status >= 500 || response.headers["x-cache"] == "miss"');
    if (compiled.tag === "err") throw new Error(compiled.val.val);
    const context = (status: number, cache: string) =>
      expressionContextFrom({ request, response: { status, headers: [{ name: "X-Cache", value: cache }] }, metadata: [] });
    expect(evaluateCondition(compiled.val, context(502, "hit"))).toEqual({ tag: "ok", val: true });
    expect(evaluateCondition(compiled.val, context(200, "miss"))).toEqual({ tag: "ok", val: true });
    expect(evaluateCondition(compiled.val, context(200, "hit"))).toEqual({ tag: "ok", val: false });
    const notBool = compileExpression("request.path");
    if (notBool.tag === "err") throw new Error("compile failed");
    expect(evaluateCondition(notBool.val, context(200, "hit"))).toMatchObject({ tag: "err", val: { tag: "evaluation" } });
  });
});
