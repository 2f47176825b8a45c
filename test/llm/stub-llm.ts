import type { IncomingMessage, ServerResponse } from "node:http";
import { startUpstream, type Upstream } from "../support/servers.js";

/**
 * An OpenAI-compatible chat completions server on 127.0.0.1 for tests and benches. It answers
 * POST /v1/chat/completions with `reply` (a list of pieces of text): as one JSON completion, or with
 * `stream: true` as SSE chunks, one piece each, then a usage chunk when the request set
 * `stream_options.include_usage`, then `data: [DONE]`. Usage: prompt tokens as given, completion tokens
 * one per piece. `release`, when set, holds the last piece until the promise it returns resolves, so a
 * test can see what reached the client before the upstream finished.
 */
export interface StubLlmOptions {
  reply: string[];
  promptTokens?: number;
  /** Pause between SSE chunks. */
  gapMs?: number;
  release?: () => Promise<void>;
  /** Line ends of the SSE framing (default "\n"). */
  newline?: string;
}

export interface StubLlm extends Upstream {
  /** Parsed request bodies, in order. */
  requests: Array<Record<string, unknown>>;
}

export async function startStubLlm(options: StubLlmOptions): Promise<StubLlm> {
  const requests: Array<Record<string, unknown>> = [];
  const upstream = await startUpstream((req, res) => {
    void answer(req, res, options, requests).catch(() => res.destroy());
  });
  return Object.assign(upstream, { requests });
}

/** The usage an answer of the stub reports, for assertions. */
export function stubUsage(options: StubLlmOptions): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const prompt = options.promptTokens ?? 10;
  return { prompt_tokens: prompt, completion_tokens: options.reply.length, total_tokens: prompt + options.reply.length };
}

async function answer(req: IncomingMessage, res: ServerResponse, options: StubLlmOptions, requests: StubLlm["requests"]): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
    res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
    return;
  }
  const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
  requests.push(body);
  const id = `chatcmpl-${requests.length}`;
  const usage = stubUsage(options);
  if (body.stream !== true) {
    const message = { role: "assistant", content: options.reply.join("") };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id, object: "chat.completion", model: body.model, choices: [{ index: 0, message, finish_reason: "stop" }], usage }));
    return;
  }
  const nl = options.newline ?? "\n";
  const send = (data: unknown) => res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}${nl}${nl}`);
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id,
    object: "chat.completion.chunk",
    model: body.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (let i = 0; i < options.reply.length; i++) {
    if (i === options.reply.length - 1 && options.release) await options.release();
    else if (i > 0 && options.gapMs) await new Promise((resolve) => setTimeout(resolve, options.gapMs));
    send(chunk(i === 0 ? { role: "assistant", content: options.reply[i] } : { content: options.reply[i] }, null));
  }
  send(chunk({}, "stop"));
  const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
  if (streamOptions?.include_usage === true) send({ id, object: "chat.completion.chunk", model: body.model, choices: [], usage });
  send("[DONE]");
  res.end();
}
