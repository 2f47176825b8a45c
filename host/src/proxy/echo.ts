import type { IncomingMessage } from "node:http";
import { BodyTooLargeError } from "./body-limit.js";
import type { Exchange } from "./exchange.js";
import { joinBody } from "../runtime/read-body-if-fits.js";

/** Reads a whole request body, failing with BodyTooLargeError past `limit` bytes. For the echo backend only. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(new BodyTooLargeError(limit));
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(joinBody(chunks, size)));
    req.once("error", reject);
  });
}

/** What the echo backend answers: the request as the gateway received it (after request policies). */
export function echoPayload(ex: Exchange, body: Buffer): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < ex.rawHeaders.length; i += 2) {
    const name = ex.rawHeaders[i]!.toLowerCase();
    const value = ex.rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(ex.query)) {
    const previous = query[key];
    query[key] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return {
    method: ex.method,
    path: ex.path,
    query,
    headers,
    body: body.toString("utf8"),
    route: ex.route?.name,
    params: ex.params ?? {},
    requestId: ex.requestId,
  };
}
