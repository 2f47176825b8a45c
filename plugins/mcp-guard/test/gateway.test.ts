import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway } from "../../../test/support/gateway.js";
import { readmeExample } from "../../../test/support/plugin-examples.js";
import { rawRequest, stopAll } from "../../../test/support/servers.js";
import { mcpClient, mcpUpstream } from "../../../test/mcp/mcp-upstream.js";

afterEach(stopAll);

const KEYS = { ALICE_API_KEY: "alice-key", BOB_API_KEY: "bob-key" };
const BOB = { "x-api-key": "bob-key" };
const ALICE = { "x-api-key": "alice-key" };

async function readmeGateway(json: boolean) {
  const upstream = await mcpUpstream({ json });
  const gateway = await startTestGateway(readmeExample("mcp-guard", upstream.url), { env: KEYS });
  return { upstream, gateway };
}

/** A JSON-RPC error as a client SDK reports it, or "ok". */
async function callOutcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return `${(error as { code?: number }).code} ${(error as Error).message}`;
  }
}

describe("mcp-guard with the official MCP client and server", () => {
  for (const json of [true, false]) {
    it(`runs the README example (${json ? "JSON" : "SSE"} answers): lists filtered, denied calls are JSON-RPC errors`, async () => {
      const { upstream, gateway } = await readmeGateway(json);
      const bob = await mcpClient(gateway.url("/mcp"), BOB);
      expect((await bob.listTools()).tools.map((tool) => tool.name)).toEqual(["echo", "add"]);
      expect(await callOutcome(bob.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe("ok");
      expect(await callOutcome(bob.callTool({ name: "delete_repo", arguments: {} }))).toMatch(/^-32003 .*tool "delete_repo" is not allowed/);
      expect((await bob.listResources()).resources.map((resource) => resource.uri)).toEqual(["file:///readme.md"]);
      const alice = await mcpClient(gateway.url("/mcp"), ALICE);
      expect((await alice.listTools()).tools.map((tool) => tool.name)).toEqual(["echo", "add", "delete_repo"]);
      expect(await callOutcome(alice.callTool({ name: "delete_repo", arguments: {} }))).toBe("ok");
      expect(upstream.calls).toEqual(["echo", "delete_repo"]);
    });
  }

  it("limits calls of a tool per consumer (README: add, 2 per hour-long window) with a JSON-RPC error", async () => {
    const { upstream, gateway } = await readmeGateway(true);
    const bob = await mcpClient(gateway.url("/mcp"), BOB);
    const add = (client: typeof bob) => callOutcome(client.callTool({ name: "add", arguments: {} }));
    expect([await add(bob), await add(bob)]).toEqual(["ok", "ok"]);
    expect(await add(bob)).toMatch(/^-32029 .*rate limit of tool "add" reached; retry in \d+ s/);
    expect(await callOutcome(bob.callTool({ name: "echo", arguments: {} }))).toBe("ok"); // echo has no limit
    const alice = await mcpClient(gateway.url("/mcp"), ALICE);
    expect(await add(alice)).toBe("ok"); // her own counter
    expect(upstream.calls).toEqual(["add", "add", "echo", "add"]);
  });

  it("refuses at load a rule that names no tools, resources or prompts, naming the YAML line", async () => {
    const yaml = readmeExample("mcp-guard", "http://127.0.0.1:1").replace('- { effect: deny, tools: ["delete_*"] }', "- { effect: deny, roles: [guest] }");
    expect(yaml).toContain("roles: [guest]");
    await expect(startTestGateway(yaml, { env: KEYS })).rejects.toThrow(
      /names tools, resources or prompts[\s\S]*test\.yaml:\d+|test\.yaml:\d+[\s\S]*names tools, resources or prompts/,
    );
  });

  it("answers a denial with HTTP 200 and the request's id, and refuses a batch with a denied message", async () => {
    const { upstream, gateway } = await readmeGateway(true);
    const post = (body: unknown) =>
      rawRequest(gateway.url("/mcp"), {
        method: "POST",
        headers: { ...BOB, "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify(body),
      });
    const single = await post({ jsonrpc: "2.0", id: "call-9", method: "tools/call", params: { name: "delete_repo", arguments: {} } });
    expect(single.status).toBe(200);
    expect(single.json()).toEqual({ jsonrpc: "2.0", id: "call-9", error: { code: -32003, message: 'tool "delete_repo" is not allowed' } });
    const resource = await post({ jsonrpc: "2.0", id: 4, method: "resources/read", params: { uri: "file:///etc/passwd" } });
    expect(resource.json()).toMatchObject({ id: 4, error: { code: -32003, message: 'resource "file:///etc/passwd" is not allowed' } });
    const batch = await post([
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: {} } },
      { jsonrpc: "2.0", method: "notifications/progress", params: {} },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "delete_repo", arguments: {} } },
    ]);
    expect(batch.status).toBe(200);
    expect(batch.json<Array<{ id: number; error: { message: string } }>>().map((answer) => [answer.id, answer.error.message])).toEqual([
      [1, 'batch refused: tool "delete_repo" is not allowed'],
      [2, 'tool "delete_repo" is not allowed'],
    ]);
    expect(upstream.calls).toEqual([]);
  });
});
