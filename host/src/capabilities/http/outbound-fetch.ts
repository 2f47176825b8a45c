import { request, errors } from "undici";
import type { Header, HttpError, OutboundResponse, Result } from "../contract.js";

/** What a worker sends through the bridge; the allow-list was already checked in the worker. */
export interface OutboundCall {
  method: string;
  url: string;
  headers: Header[];
  body: Uint8Array | undefined;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** Main-thread side of `http.fetch`: one undici request, body read up to the cap, errors mapped to variants. */
export async function outboundFetch(call: OutboundCall): Promise<Result<OutboundResponse, HttpError>> {
  const signal = AbortSignal.timeout(call.timeoutMs);
  try {
    const response = await request(call.url, {
      method: call.method,
      headers: call.headers.flatMap(({ name, value }) => [name, value]),
      body: call.body,
      signal,
      headersTimeout: call.timeoutMs,
      bodyTimeout: call.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > call.maxResponseBytes) {
        response.body.destroy();
        return { tag: "err", val: { tag: "too-large" } };
      }
      chunks.push(chunk);
    }
    const headers: Header[] = [];
    for (const [name, value] of Object.entries(response.headers)) {
      for (const item of Array.isArray(value) ? value : [value ?? ""]) headers.push({ name, value: item });
    }
    return { tag: "ok", val: { status: response.statusCode, headers, body: new Uint8Array(Buffer.concat(chunks, size)) } };
  } catch (error) {
    return { tag: "err", val: classify(error, signal) };
  }
}

function classify(error: unknown, signal: AbortSignal): HttpError {
  if (
    signal.aborted ||
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError
  ) {
    return { tag: "timeout" };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof errors.InvalidArgumentError) return { tag: "invalid-request", val: message };
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return { tag: "unreachable", val: `${message}${cause}` };
}
