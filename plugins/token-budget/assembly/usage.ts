// Token usage as OpenAI-compatible chat completions report it: `usage.total_tokens` (else prompt + completion)
// in a JSON answer or in a streamed chunk (SSE `data:` events; the last chunk carries `usage` when the request
// set `stream_options.include_usage`). When nothing is reported, the text is counted for an estimate.
import { JsonValue } from "@portcullis/sdk";

/** The estimate's ratio, OpenAI's rule of thumb for English text. */
const CHARS_PER_TOKEN: i64 = 4;

export class Usage {
  /** Tokens the answer reported, or -1 when it reported none. */
  reported: i64 = -1;
  /** Characters of generated text seen (message or delta content), for the estimate. */
  chars: i64 = 0;
}

export function estimateTokens(chars: i64): i64 {
  return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
}

/** A non-streamed chat completion (`choices[].message.content`). */
export function readJsonAnswer(text: string, into: Usage): void {
  const answer = JsonValue.parse(text);
  if (answer !== null && answer.isObject) readChunk(answer, "message", into);
}

/**
 * SSE text, one event or a whole stream: each event's `data:` lines are joined and read as a chunk
 * (`choices[].delta.content`); `[DONE]` and data that is not JSON are skipped.
 */
export function readEvents(text: string, into: Usage): void {
  const events = text.replaceAll("\r\n", "\n").replaceAll("\r", "\n").split("\n\n");
  for (let e = 0; e < events.length; e++) {
    const lines = events[e].split("\n");
    const data = new Array<string>();
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith("data:")) continue;
      const value = lines[i].substring(5);
      data.push(value.startsWith(" ") ? value.substring(1) : value);
    }
    if (data.length == 0) continue;
    const chunk = JsonValue.parse(data.join("\n"));
    if (chunk !== null && chunk.isObject) readChunk(chunk, "delta", into);
  }
}

/** Characters of prompt text in a chat completion request: `messages[].content`, as text or text parts. */
export function promptChars(text: string): i64 {
  const request = JsonValue.parse(text);
  if (request === null || !request.isObject) return 0;
  const messages = request.get("messages");
  if (messages === null || !messages.isArray) return 0;
  let chars: i64 = 0;
  for (let i = 0; i < messages.length; i++) {
    const message = messages.at(i);
    if (!message.isObject) continue;
    const content = message.get("content");
    if (content === null) continue;
    if (content.isString) chars += content.stringValue.length;
    else if (content.isArray) {
      for (let j = 0; j < content.length; j++) {
        const part = content.at(j);
        const partText = part.isObject ? part.get("text") : null;
        if (partText !== null && partText.isString) chars += partText.stringValue.length;
      }
    }
  }
  return chars;
}

function readChunk(chunk: JsonValue, field: string, into: Usage): void {
  const usage = chunk.get("usage");
  if (usage !== null && usage.isObject) {
    const total = reportedTotal(usage);
    if (total >= 0) into.reported = total;
  }
  const choices = chunk.get("choices");
  if (choices === null || !choices.isArray) return;
  for (let i = 0; i < choices.length; i++) {
    const choice = choices.at(i);
    const part = choice.isObject ? choice.get(field) : null;
    const content = part !== null && part.isObject ? part.get("content") : null;
    if (content !== null && content.isString) into.chars += content.stringValue.length;
  }
}

function reportedTotal(usage: JsonValue): i64 {
  const total = usage.get("total_tokens");
  if (total !== null && total.isNumber && total.numberValue >= 0) return <i64>total.numberValue;
  const prompt = usage.get("prompt_tokens");
  const completion = usage.get("completion_tokens");
  if (prompt === null || completion === null || !prompt.isNumber || !completion.isNumber) return -1;
  const sum = prompt.numberValue + completion.numberValue;
  return sum >= 0 ? <i64>sum : -1;
}
