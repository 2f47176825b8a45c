import type { Header, MetadataEntry, RequestHead, ResponseHead } from "../contract.js";

/**
 * The variables a CEL expression sees. JSON integers are CEL `int` (bigint), so
 * `metadata.count + 1` works; other numbers are `double`.
 */
export interface ExpressionContext {
  request: {
    method: string;
    scheme: string;
    host: string;
    path: string;
    /** First value of each query parameter. */
    query: Record<string, string>;
    /** Lower-case names, first value of each header. */
    headers: Record<string, string>;
    clientAddress: string;
    requestId: string;
    listener: string;
    route: string;
  };
  response: { status?: bigint; headers?: Record<string, string> };
  /** Metadata values parsed from their JSON text. */
  metadata: Record<string, unknown>;
  env: Record<string, string>;
}

export interface FlowState {
  request: RequestHead;
  response?: ResponseHead;
  metadata: MetadataEntry[];
  /** Defined variables only: callers that evaluate often snapshot process.env once. */
  env?: Record<string, string>;
}

/** Builds the expression context of a flow from the shapes the runtime holds. */
export function expressionContextFrom(flow: FlowState): ExpressionContext {
  const { request, response } = flow;
  return {
    request: {
      method: request.method,
      scheme: request.scheme,
      host: request.authority,
      path: request.path,
      query: parseQuery(request.query),
      headers: headerMap(request.headers),
      clientAddress: request.clientAddress,
      requestId: request.requestId,
      listener: request.listener,
      route: request.route,
    },
    response: response ? { status: BigInt(response.status), headers: headerMap(response.headers) } : {},
    metadata: Object.fromEntries(flow.metadata.map((entry) => [entry.key, toCelValue(parseJson(entry.value))])),
    env: flow.env ?? {},
  };
}

function headerMap(headers: Header[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const { name, value } of headers) {
    const key = name.toLowerCase();
    if (!(key in map)) map[key] = value;
  }
  return map;
}

function parseQuery(query: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(query.startsWith("?") ? query.slice(1) : query)) {
    if (!(key in map)) map[key] = value;
  }
  return map;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // metadata that is not JSON is seen as the string it is
  }
}

/** JSON value -> CEL value: safe integers become bigint (CEL `int`). */
export function toCelValue(value: unknown): unknown {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCelValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toCelValue(item)]));
  }
  return value;
}
