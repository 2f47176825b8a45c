import type { RouteRuntime } from "../listeners/listener-runtime.js";
import type { Exchange } from "../proxy/exchange.js";
import type { FaultDetails } from "../proxy/flow-runner.js";
import { BodyTooLargeError } from "../proxy/body-limit.js";
import { readBody } from "../proxy/echo.js";
import { headerValue } from "../routing/select-route.js";
import { jsonRpcError, parseJsonRpcBody } from "./json-rpc.js";

/** The metadata key under which policies find the parsed message(s). */
export const MCP_METADATA_KEY = "mcp";

/** What the pipeline hands to `fault`: the JSON-RPC error rides as the response the fault flow starts from. */
export interface McpRefusal {
  code: "PCS_ERR_BODY_TOO_LARGE" | "PCS_ERR_BAD_REQUEST" | "PCS_ERR_MCP_INVALID_MESSAGE";
  details?: FaultDetails;
}

/**
 * Reads the JSON-RPC body once (it is then sent upstream from memory), and adds metadata `mcp`.
 * Resolves a refusal for a body that is too large, cut short, or not JSON-RPC 2.0.
 */
export async function readMcpBody(ex: Exchange, route: RouteRuntime): Promise<McpRefusal | undefined> {
  let body: Buffer;
  try {
    body = await readBody(ex.req, route.maxBodyBytes);
  } catch (error) {
    return { code: error instanceof BodyTooLargeError ? "PCS_ERR_BODY_TOO_LARGE" : "PCS_ERR_BAD_REQUEST" };
  }
  ex.requestBody = body;
  const parsed = parseJsonRpcBody(body, headerValue(ex.rawHeaders, "mcp-session-id"));
  if (!parsed.ok) {
    const response = { status: 400, headers: ["content-type", "application/json"], body: jsonRpcError(parsed.id, parsed.code, parsed.message) };
    return { code: "PCS_ERR_MCP_INVALID_MESSAGE", details: { response, detail: parsed.message } };
  }
  (ex.metadata ??= []).push([MCP_METADATA_KEY, JSON.stringify(parsed.view)]);
  return undefined;
}
