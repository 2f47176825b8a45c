import { randomUUID } from "node:crypto";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import { startUpstream, track, type Upstream } from "../support/servers.js";

/** The tools of the test server: each answers with its name and arguments, so a test sees what arrived. */
export const TOOL_NAMES = ["echo", "add", "delete_repo"] as const;

export interface McpUpstream extends Upstream {
  /** tools/call requests that reached the server, by tool name. */
  calls: string[];
}

/**
 * A real MCP server (the official SDK, Streamable HTTP, stateful sessions) on 127.0.0.1.
 * `json: true` answers POSTs with application/json, otherwise with single-event SSE streams.
 */
export async function mcpUpstream(options: { json?: boolean } = {}): Promise<McpUpstream> {
  const calls: string[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const upstream = await startUpstream((req, res) => {
    const id = req.headers["mcp-session-id"];
    const existing = typeof id === "string" ? sessions.get(id) : undefined;
    if (existing) return void existing.handleRequest(req, res);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: options.json === true,
      onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport),
    });
    void newServer(calls)
      .connect(transport)
      .then(() => transport.handleRequest(req, res));
  });
  track(async () => {
    for (const transport of sessions.values()) await transport.close();
  });
  return Object.assign(upstream, { calls });
}

function newServer(calls: string[]): McpServer {
  const server = new McpServer({ name: "test-upstream", version: "1.0.0" });
  for (const name of TOOL_NAMES) {
    server.registerTool(name, { description: `the ${name} tool`, inputSchema: { text: z.string().optional() } }, (args) => {
      calls.push(name);
      return { content: [{ type: "text", text: `${name}:${JSON.stringify(args)}` }] };
    });
  }
  server.registerResource("readme", "file:///readme.md", { mimeType: "text/markdown" }, (uri) => ({
    contents: [{ uri: uri.href, text: "# readme" }],
  }));
  return server;
}

/** A real MCP client (the official SDK) connected to `url`, closed by stopAll(). */
export async function mcpClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  track(() => client.close());
  return client;
}
