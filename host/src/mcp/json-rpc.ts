/**
 * JSON-RPC 2.0 request bodies of MCP's Streamable HTTP transport, parsed once by the host into the
 * `mcp` view that CEL (`mcp.*`) and policies (request metadata `mcp`) read.
 */

/** One message as CEL and policies see it; absent members are left out (so `has(mcp.tool)` works). */
export interface McpMessage {
  method?: string;
  /** params.name of tools/call and prompts/get. */
  tool?: string;
  prompt?: string;
  /** params.uri of resources/read, resources/subscribe and resources/unsubscribe. */
  resource?: string;
  /** params.arguments of tools/call and prompts/get. */
  arguments?: unknown;
  id?: string | number | null;
  /** A response the client sends (to a server's request), not a request or notification. */
  response?: boolean;
}

/** The first message's members at the top, every message under `batch` when the body was an array. */
export type McpView = McpMessage & { session?: string; batch?: McpMessage[] };

export type JsonRpcParse = { ok: true; view: McpView } | { ok: false; code: -32700 | -32600; message: string; id: string | number | null };

export function parseJsonRpcBody(body: Uint8Array, session: string | undefined): JsonRpcParse {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch {
    return { ok: false, code: -32700, message: "Parse error: the body is not JSON", id: null };
  }
  const items = Array.isArray(document) ? document : [document];
  if (items.length === 0) return { ok: false, code: -32600, message: "Invalid Request: an empty batch", id: null };
  const messages: McpMessage[] = [];
  for (const item of items) {
    const message = messageOf(item);
    if (typeof message === "string") return { ok: false, code: -32600, message: `Invalid Request: ${message}`, id: idOf(item) };
    messages.push(message);
  }
  const view: McpView = { ...messages[0]! };
  if (session !== undefined) view.session = session;
  if (Array.isArray(document)) view.batch = messages;
  return { ok: true, view };
}

/** The message, or why it is not a JSON-RPC 2.0 request, notification or response. */
function messageOf(item: unknown): McpMessage | string {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return "a message is not an object";
  const record = item as Record<string, unknown>;
  if (record.jsonrpc !== "2.0") return 'jsonrpc is not "2.0"';
  const { id } = record;
  if ("id" in record && !validId(id)) return "id is not a string, a number or null";
  const message: McpMessage = {};
  if ("id" in record) message.id = id as McpMessage["id"];
  if (record.method === undefined) {
    if (!("result" in record) && !("error" in record)) return "no method, result or error";
    message.response = true;
    return message;
  }
  if (typeof record.method !== "string" || record.method === "") return "method is not a non-empty string";
  message.method = record.method;
  const params = record.params;
  if (params !== undefined && (params === null || typeof params !== "object")) return "params is not an object or array";
  const named = (params ?? {}) as Record<string, unknown>;
  if (message.method === "tools/call") {
    if (typeof named.name !== "string") return "tools/call without params.name";
    message.tool = named.name;
    message.arguments = named.arguments ?? {};
  } else if (message.method === "prompts/get" && typeof named.name === "string") {
    message.prompt = named.name;
    message.arguments = named.arguments ?? {};
  } else if (message.method.startsWith("resources/") && typeof named.uri === "string") {
    message.resource = named.uri;
  }
  return message;
}

function validId(id: unknown): boolean {
  return id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

function idOf(item: unknown): string | number | null {
  const id = item !== null && typeof item === "object" ? (item as Record<string, unknown>).id : undefined;
  return validId(id) ? (id as string | number | null) : null;
}

/** The body of a JSON-RPC error response. */
export function jsonRpcError(id: string | number | null, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });
}
