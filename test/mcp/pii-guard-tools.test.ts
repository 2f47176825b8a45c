// pii-guard on an MCP route, with the official MCP client and server: tool results masked or refused on
// the response flow (buffered or event by event), tool arguments refused on the request flow.
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { builtPolicy, readmeExample } from "../support/plugin-examples.js";
import { stopAll } from "../support/servers.js";
import { mcpClient, mcpUpstream } from "./mcp-upstream.js";

afterEach(stopAll);

/**
 * /mcp: SSNs in arguments refused, cards and SSNs in results masked; /strict: SSNs in results refused.
 * The response guard is attached to POST only: the long-lived GET event stream is not scanned.
 */
function guardedRoutes(upstream: string, sseEvents: boolean) {
  return startTestGateway(`
plugins:
  pii-guard: { path: ${builtPolicy("pii-guard")}, capabilities: { log: true, regex: true } }
${routesYaml(`
      - name: tools
        match: { path: { exact: /mcp } }
        mcp: true
        policies:
          request: [ { plugin: pii-guard, with: { detectors: { ssn: block } } } ]
        operations:
          POST:
            policies:
              response:
                - { plugin: pii-guard, with: { detectors: { card: mask, ssn: mask }, scan: { response: true } }, sseEvents: ${sseEvents} }
        backend: { url: "${upstream}" }
      - name: strict
        match: { path: { exact: /strict } }
        mcp: true
        operations:
          POST:
            policies:
              response:
                - { plugin: pii-guard, with: { detectors: { ssn: block }, scan: { response: true } }, sseEvents: ${sseEvents} }
        backend: { url: "${upstream}" }`)}`);
}

const MODES = [
  { name: "SSE answers buffered whole", json: false, sseEvents: false },
  { name: "SSE answers event by event", json: false, sseEvents: true },
  { name: "JSON answers", json: true, sseEvents: false },
];

describe.each(MODES)("pii-guard on MCP tool calls ($name)", ({ json, sseEvents }) => {
  it("masks a card number in a tool result, and refuses a call whose arguments carry an SSN with a JSON-RPC error", async () => {
    const upstream = await mcpUpstream({ json });
    const gateway = await guardedRoutes(upstream.url, sseEvents);
    const client = await mcpClient(gateway.url("/mcp"));
    // The request guard looks for SSNs only: the card reaches the tool, and its result is masked on the way back.
    const result = await client.callTool({ name: "echo", arguments: { text: "card 4111 1111 1111 1111" } });
    expect(result.content).toEqual([{ type: "text", text: 'echo:{"text":"card **** **** **** ****"}' }]);
    expect(upstream.calls).toEqual(["echo"]);

    const refused = client.callTool({ name: "echo", arguments: { text: "ssn 123-45-6789" } });
    await expect(refused).rejects.toMatchObject({ code: -32602, data: { code: "PII_SSN", location: "body:/params/arguments/text" } });
    await expect(refused).rejects.not.toThrow(/6789/);
    expect(upstream.calls).toEqual(["echo"]);
  });
});

describe("pii-guard refusing MCP tool results", () => {
  it("answers a JSON-RPC error -32603 for the call's id when a buffered tool result holds an SSN", async () => {
    const upstream = await mcpUpstream();
    const gateway = await guardedRoutes(upstream.url, false);
    const client = await mcpClient(gateway.url("/strict"));
    const refused = client.callTool({ name: "add", arguments: { text: "123-45-6789" } });
    await expect(refused).rejects.toMatchObject({ code: -32603, data: { code: "PII_SSN", location: "event:0:/result/content/0/text" } });
    await expect(refused).rejects.not.toThrow(/6789/);
    expect(upstream.calls).toEqual(["add"]);
    expect((await client.callTool({ name: "add", arguments: { text: "2+2" } })).content).toEqual([{ type: "text", text: 'add:{"text":"2+2"}' }]);
  });
});

describe("pii-guard's README MCP example", () => {
  it("refuses SSN arguments and masks cards and e-mail addresses in results, event by event", async () => {
    const upstream = await mcpUpstream();
    const gateway = await startTestGateway(readmeExample("pii-guard", upstream.url, 1));
    const client = await mcpClient(gateway.url("/mcp"));
    await expect(client.callTool({ name: "echo", arguments: { text: "ssn 123-45-6789" } })).rejects.toMatchObject({ code: -32602 });
    const result = await client.callTool({ name: "echo", arguments: { text: "4111 1111 1111 1111, bob@example.com" } });
    expect(result.content).toEqual([{ type: "text", text: 'echo:{"text":"**** **** **** ****, ***@*******.***"}' }]);
    expect(upstream.calls).toEqual(["echo"]);
  });
});
