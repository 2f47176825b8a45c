/** A fetch handler that sends the policy's calls to real servers (tests that run one on 127.0.0.1). */
import type { Header, HttpError, OutboundRequest, OutboundResponse, Result } from "../component/types.js";

/** Performs the call with Node's fetch, within its `timeoutMs`; failures become the world's http-error variants. */
export async function liveFetch(request: OutboundRequest): Promise<Result<OutboundResponse, HttpError>> {
  const signal = AbortSignal.timeout(Math.max(1, request.timeoutMs));
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers.map(({ name, value }): [string, string] => [name, value]),
      body: request.body,
      signal,
    });
    const body = new Uint8Array(await response.arrayBuffer());
    const headers: Header[] = [];
    for (const [name, value] of response.headers) headers.push({ name, value });
    return { tag: "ok", val: { status: response.status, headers, body } };
  } catch (error) {
    if (signal.aborted) return { tag: "err", val: { tag: "timeout" } };
    return { tag: "err", val: { tag: "unreachable", val: error instanceof Error ? error.message : String(error) } };
  }
}
