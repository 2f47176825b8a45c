import type { IncomingHttpHeaders } from "node:http";
import { startUpstream, type Upstream } from "./servers.js";

/** What reached the upstream: the request as the gateway forwarded it, body read whole. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type RecordingUpstream = Upstream & { received: ReceivedRequest[] };

export interface RecordingAnswer {
  /** The answer's body, or a function of the request (default "ok"). */
  body?: string | ((request: ReceivedRequest) => string);
  /** The answer's headers (default `content-type: text/plain`). */
  headers?: Record<string, string>;
}

/**
 * An upstream that reads and records every request it receives, then answers: for tests that check
 * what policies forwarded (a rewritten path, a masked body, its Content-Length) or that nothing arrived.
 */
export async function recordingUpstream(answer: RecordingAnswer = {}): Promise<RecordingUpstream> {
  const received: ReceivedRequest[] = [];
  const upstream = await startUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(request);
      res.writeHead(200, answer.headers ?? { "content-type": "text/plain" });
      res.end(typeof answer.body === "function" ? answer.body(request) : (answer.body ?? "ok"));
    });
  });
  return Object.assign(upstream, { received });
}
