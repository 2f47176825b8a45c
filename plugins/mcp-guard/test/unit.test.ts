import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadPolicy, requestHead, type RequestInput, type TestPolicy } from "@portcullis/sdk/testing";
import { createExpression } from "../../../host/src/capabilities/expression/expression-capability.js";
import { expressionContextFrom } from "../../../host/src/capabilities/expression/expression-context.js";
import { setFlowScope } from "../../../host/src/capabilities/flow-scope.js";

const wasmPath = fileURLToPath(new URL("../build/mcp-guard.wasm", import.meta.url));

afterEach(() => setFlowScope(undefined));

/** The policy with the gateway's own CEL capability, so conditions are evaluated for real. */
const load = (config: Record<string, unknown>): Promise<TestPolicy> => loadPolicy(wasmPath, { config, capabilities: { expression: createExpression() } });

/** Sets the flow's expression context from `metadata`, as the runtime does. */
function scope(input: RequestInput): void {
  const metadata = Object.entries(input.metadata ?? {}).map(([key, value]) => ({ key, value: JSON.stringify(value) }));
  setFlowScope({ requestId: "r1", expression: () => expressionContextFrom({ request: requestHead(input), metadata }) });
}

/** "next", or the JSON-RPC error message the policy answered with. */
function decide(policy: TestPolicy, metadata: Record<string, unknown>): string {
  const input = { method: "POST", metadata };
  scope(input);
  const result = policy.onRequest(input);
  if (result.tag !== "ok") throw new Error(`policy failed: ${JSON.stringify(result)}`);
  if (result.val.tag === "continue") return "next";
  expect(result.val.val.status).toBe(200);
  return (JSON.parse(Buffer.from(result.val.val.body).toString("utf8")) as { error: { message: string } }).error.message;
}

const call = (tool: string) => ({ method: "tools/call", tool, arguments: {}, id: 1 });

describe("mcp-guard: rules", () => {
  it("decides by the first rule naming the tool whose conditions hold: when, consumers, prefix patterns", async () => {
    const policy = await load({
      rules: [
        { effect: "allow", tools: ["deploy_*"], when: 'has(jwt.sub) && jwt.sub == "ci"' },
        { effect: "allow", tools: ["*"], consumers: ["root"] },
        { effect: "allow", tools: ["read"] },
      ],
    });
    expect(decide(policy, { mcp: call("deploy_prod"), jwt: { sub: "ci" } })).toBe("next");
    expect(decide(policy, { mcp: call("deploy_prod"), jwt: { sub: "dev" } })).toBe('tool "deploy_prod" is not allowed');
    expect(decide(policy, { mcp: call("deploy_prod"), consumer: "root" })).toBe("next");
    expect(decide(policy, { mcp: call("read") })).toBe("next");
    expect(decide(policy, { mcp: call("write") })).toBe('tool "write" is not allowed');
    // Not an MCP request (no metadata mcp), or a method that names nothing: the policy lets it by.
    expect(decide(policy, {})).toBe("next");
    expect(decide(policy, { mcp: { method: "initialize", id: 0 } })).toBe("next");
  });

  it("denies when a condition cannot be evaluated (fail closed)", async () => {
    const policy = await load({ default: "allow", rules: [{ effect: "allow", tools: ["x"], when: "jwt.level > 2" }] });
    expect(decide(policy, { mcp: call("x") })).toBe('tool "x" is not allowed');
    expect(decide(policy, { mcp: call("y") })).toBe("next"); // default allow for names no rule decides
  });
});

describe("mcp-guard: list answers", () => {
  const tools = (names: string[]) => ({ jsonrpc: "2.0", id: 5, result: { tools: names.map((name) => ({ name, inputSchema: {} })) } });

  async function filtered(contentType: string, body: string): Promise<string | undefined> {
    const policy = await load({ rules: [{ effect: "allow", tools: ["echo", "get_*"] }] });
    const metadata = { mcp: { method: "tools/list", id: 5 } };
    scope({ metadata });
    const result = policy.onResponse({ status: 200, headers: { "content-type": contentType }, body, metadata });
    if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error(`unexpected ${JSON.stringify(result)}`);
    const edited = result.val.val.body;
    return edited && Buffer.from(edited).toString("utf8");
  }

  it("keeps only the allowed tools of a JSON answer", async () => {
    const body = await filtered("application/json", JSON.stringify(tools(["echo", "rm", "get_user"])));
    expect(JSON.parse(body!)).toEqual(tools(["echo", "get_user"]));
  });

  it("filters each SSE event's data, keeping event, id and comment lines, CRLF and multi-line data included", async () => {
    const json = JSON.stringify(tools(["rm", "echo"]), null, 1); // several lines: several data: fields
    const data = json
      .split("\n")
      .map((line) => `data: ${line}`)
      .join("\r\n");
    const progress = 'data: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}';
    const body = await filtered("text/event-stream", `: keep-alive\r\n${progress}\r\n\r\nevent: message\r\nid: 7\r\n${data}\r\n\r\n`);
    // The SDK's Sse helper: the filtered data becomes one data: line where the first was; line ends stay CRLF.
    expect(body).toBe(`: keep-alive\r\n${progress}\r\n\r\nevent: message\r\nid: 7\r\ndata: ${JSON.stringify(tools(["echo"]))}\r\n\r\n`);
  });

  it("leaves an answer with nothing to take out as it came (no body returned), JSON or SSE", async () => {
    expect(await filtered("application/json", JSON.stringify(tools(["echo"]), null, 2))).toBeUndefined();
    expect(await filtered("text/event-stream", `id: 1\r\ndata: ${JSON.stringify(tools(["get_a", "echo"]))}\r\n\r\n: ping\n\n`)).toBeUndefined();
    expect(await filtered("text/event-stream", "data: not json\n\n")).toBeUndefined();
  });
});
