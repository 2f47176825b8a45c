import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { startFileGateway } from "../host/reload-helpers.js";
import { mcpClient, mcpUpstream } from "./mcp-upstream.js";

afterEach(stopAll);

const JSON_RPC = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** An MCP route to the echo backend whose request flow copies the `mcp` CEL view into header x-mcp-view. */
function viewGateway(routeKeys = "") {
  return startTestGateway(`
plugins:
  headers: { path: ${builtPolicy("headers")}, capabilities: { expression: true } }
${routesYaml(`
      - name: tools
        mcp: true${routeKeys}
        policies:
          request:
            - plugin: headers
              when: has(mcp.method)
              with:
                set:
                  x-mcp-view: { expression: 'mcp.method + "|" + (has(mcp.tool) ? mcp.tool : "-") + "|" + (has(mcp.session) ? mcp.session : "-") + "|" + string(mcp.id) + "|" + (has(mcp.arguments) && has(mcp.arguments.text) ? mcp.arguments.text : "-") + "|" + (has(mcp.batch) ? string(size(mcp.batch)) : "single")' }
        backend: { echo: true }
`)}`);
}

async function postJson(url: string, body: string, headers: Record<string, string> = {}) {
  return rawRequest(url, { method: "POST", headers: { ...JSON_RPC, ...headers }, body });
}

function echoedHeader(response: { json<T>(): T }, name: string): string | undefined {
  return response.json<{ headers: Record<string, string> }>().headers[name];
}

describe("MCP routes (mcp: true)", () => {
  it("exposes mcp.method, mcp.tool, mcp.arguments, mcp.session and mcp.id to CEL", async () => {
    const gateway = await viewGateway();
    const call = JSON.stringify({ jsonrpc: "2.0", id: 41, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } });
    const response = await postJson(gateway.url("/mcp"), call, { "mcp-session-id": "s-1" });
    expect(response.status).toBe(200);
    expect(echoedHeader(response, "x-mcp-view")).toBe("tools/call|echo|s-1|41|hi|single");
    // The body read once by the host still reaches the backend, byte for byte.
    expect(response.json<{ body: string }>().body).toBe(call);
    const batch = JSON.stringify([
      { jsonrpc: "2.0", id: "a", method: "tools/list" },
      { jsonrpc: "2.0", method: "notifications/initialized" },
    ]);
    expect(echoedHeader(await postJson(gateway.url("/mcp"), batch), "x-mcp-view")).toBe("tools/list|-|-|a|-|2");
    // Not a POST: no body is parsed, `mcp` is empty and the when: skips the policy.
    expect(echoedHeader(await rawRequest(gateway.url("/mcp")), "x-mcp-view")).toBeUndefined();
  });

  it("answers malformed JSON-RPC with a JSON-RPC error and HTTP 400, and keeps serving", async () => {
    const gateway = await viewGateway();
    const cases: Array<[string, number, unknown]> = [
      ["{not json", -32700, null],
      ["", -32700, null],
      ["[]", -32600, null],
      ['{"jsonrpc":"1.0","id":7,"method":"ping"}', -32600, 7],
      ['{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{}}', -32600, "x"],
      ['{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', -32600, null],
      ['[{"jsonrpc":"2.0","id":1,"method":"ping"}, 5]', -32600, null],
      ['{"jsonrpc":"2.0","id":2,"method":"tools/list","params":3}', -32600, 2],
    ];
    for (const [body, code, id] of cases) {
      const response = await postJson(gateway.url("/mcp"), body);
      expect(response.status, body).toBe(400);
      const answer = response.json<{ jsonrpc: string; id: unknown; error: { code: number; message: string } }>();
      expect(answer.jsonrpc).toBe("2.0");
      expect(answer.id, body).toEqual(id);
      expect(answer.error.code, body).toBe(code);
    }
    expect(gateway.logs.filter((line) => line.error === "PCS_ERR_MCP_INVALID_MESSAGE")).toHaveLength(cases.length);
    const ping = await postJson(gateway.url("/mcp"), '{"jsonrpc":"2.0","id":3,"method":"ping"}');
    expect(echoedHeader(ping, "x-mcp-view")).toBe("ping|-|-|3|-|single");
  });

  it("reads the body only up to the route's maxBodyBytes (413 past it, chunked or not)", async () => {
    const gateway = await viewGateway("\n        maxBodyBytes: 64");
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "x".repeat(100) } } });
    expect((await postJson(gateway.url("/mcp"), big)).status).toBe(413);
    const chunked = async function* () {
      yield Buffer.from(big.slice(0, 50));
      yield Buffer.from(big.slice(50));
    };
    const response = await rawRequest(gateway.url("/mcp"), { method: "POST", headers: JSON_RPC, body: chunked() });
    expect(response.status).toBe(413);
    expect(response.json<{ code: string }>().code).toBe("PCS_ERR_BODY_TOO_LARGE");
    expect(echoedHeader(await postJson(gateway.url("/mcp"), '{"jsonrpc":"2.0","id":3,"method":"ping"}'), "x-mcp-view")).toBe("ping|-|-|3|-|single");
  });

  it("a reload that marks a route mcp: true (or unmarks it) takes effect on the next request", async () => {
    const config = (mcp: boolean) => `${routesYaml(`
      - { name: tools, mcp: ${mcp}, backend: { echo: true } }`)}
admin: { host: 127.0.0.1, port: 0 }
reload: { watch: false }
`;
    const { gateway, write } = await startFileGateway(config(false));
    const url = `${gateway.listeners[0]!.url.replace("0.0.0.0", "127.0.0.1")}/mcp`;
    expect((await postJson(url, "{not json")).status).toBe(200); // streamed to the echo backend as it is
    write(config(true));
    expect(await gateway.reload()).toMatchObject({ result: "applied" });
    expect((await postJson(url, "{not json")).json()).toMatchObject({ error: { code: -32700 } });
    write(config(false));
    expect(await gateway.reload()).toMatchObject({ result: "applied" });
    expect((await postJson(url, "{not json")).status).toBe(200);
  });

  it("listener policies see mcp too (the MCP route is looked up before they run)", async () => {
    const gateway = await startTestGateway(`
plugins:
  direct-response: { path: ${builtPolicy("direct-response")}, capabilities: { expression: true } }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    policies:
      request:
        - plugin: direct-response
          when: 'has(mcp.method) && mcp.method == "tools/call" && mcp.arguments.text == "stop"'
          with: { status: 429, json: { code: STOPPED } }
    routes:
      - { name: tools, mcp: true, match: { path: { exact: /mcp } }, backend: { echo: true } }
      - { name: other, backend: { echo: true } }
`);
    const stop = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "stop" } } });
    const go = stop.replace('"stop"', '"go"');
    expect((await postJson(gateway.url("/mcp"), stop)).status).toBe(429);
    expect((await postJson(gateway.url("/mcp"), go)).status).toBe(200);
    // The same body on a route without mcp: true is not parsed: mcp is empty there.
    expect((await postJson(gateway.url("/other"), stop)).status).toBe(200);
  });

  it("a when: on mcp.tool stops one tool of a real MCP client and server, the others pass", async () => {
    const upstream = await mcpUpstream();
    const gateway = await startTestGateway(`
plugins:
  direct-response: { path: ${builtPolicy("direct-response")}, capabilities: { expression: true } }
${routesYaml(`
      - name: tools
        mcp: true
        policies:
          request:
            - plugin: direct-response
              when: 'has(mcp.tool) && mcp.tool == "delete_repo"'
              with: { status: 403, json: { code: NO_DELETES } }
        backend: { url: ${upstream.url} }
`)}`);
    const client = await mcpClient(gateway.url("/mcp"));
    const echoed = await client.callTool({ name: "echo", arguments: { text: "hello" } });
    expect(echoed.content).toEqual([{ type: "text", text: 'echo:{"text":"hello"}' }]);
    await expect(client.callTool({ name: "delete_repo", arguments: {} })).rejects.toThrow(/NO_DELETES/);
    expect(upstream.calls).toEqual(["echo"]);
  });
});
