import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fakeExpressions, loadPolicy } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/token-budget.wasm", import.meta.url));

type Edits = {
  tag: string;
  val: { status?: number; headers: Array<{ name: string; value: string }>; metadata: Array<{ tag: string; val: { key: string; value: string } }> };
};
type Outcome = { tag: string; val: Edits };

async function policy(config: Record<string, unknown> = { perDay: 1000 }) {
  return loadPolicy(wasmPath, {
    config: { key: "metadata.consumer", ...config },
    capabilities: { expression: fakeExpressions({ "metadata.consumer": '"alice"' }) },
  });
}

/** What the request flow carries to the response flow, as the gateway would hand it over. */
function carried(outcome: unknown): Record<string, unknown> {
  const set = (outcome as Outcome).val.val.metadata.find((edit) => edit.val.key === "tokenBudget");
  if (!set) throw new Error("no tokenBudget metadata");
  return JSON.parse(set.val.value) as Record<string, unknown>;
}

/** A header of a direct response ({ name, value }) or a response edit ({ tag: "set", val: { name, value } }). */
const header = (outcome: unknown, name: string) => {
  const headers = (outcome as Outcome).val.val.headers as unknown as Array<{ name?: string; value?: string; val?: { name: string; value: string } }>;
  const found = headers.map((h) => h.val ?? h).find((h) => h.name === name);
  return found?.value;
};

const SSE = { "content-type": "text/event-stream; charset=utf-8" };

describe("token-budget (unit)", () => {
  it("asks the upstream for an uncompressed answer, so its usage can be read", async () => {
    const p = await policy();
    expect(p.onRequest({ headers: { "accept-encoding": "gzip, br" }, body: "{}" })).toMatchObject({
      val: { tag: "continue", val: { headers: [{ tag: "set", val: { name: "accept-encoding", value: "identity" } }] } },
    });
  });

  it("reads prompt_tokens + completion_tokens when total_tokens is absent", async () => {
    const p = await policy();
    const metadata = { tokenBudget: carried(p.onRequest({ body: "{}" })) };
    const answer = JSON.stringify({ choices: [{ message: { content: "hi" } }], usage: { prompt_tokens: 7, completion_tokens: 5 } });
    const outcome = p.onResponse({ headers: { "content-type": "application/json" }, body: answer, metadata });
    expect(carried(outcome)).toMatchObject({ charged: true, tokens: 12 });
    expect(header(outcome, "x-ratelimit-remaining-tokens")).toBe("988");
  });

  it("reads a whole SSE stream: CRLF framing, multi-line data, comments, [DONE] and data that is not JSON", async () => {
    const p = await policy();
    const metadata = { tokenBudget: carried(p.onRequest({ body: "{}" })) };
    const stream = [
      ": keep-alive",
      "",
      'data: {"choices":[{"delta":',
      'data: {"content":"Hel"}}]}',
      "",
      "data: not json",
      "",
      'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}',
      "",
      "data: [DONE]",
      "",
      "",
    ].join("\r\n");
    expect(carried(p.onResponse({ headers: SSE, body: stream, metadata }))).toMatchObject({ tokens: 5 });
  });

  it("estimates from text parts of the prompt and the generated text when nothing is reported; an error costs nothing", async () => {
    const p = await policy();
    const prompt = JSON.stringify({
      messages: [
        { role: "system", content: "12345678" },
        { role: "user", content: [{ type: "text", text: "abcd" }, { type: "image_url" }] },
      ],
    });
    const metadata = { tokenBudget: carried(p.onRequest({ body: prompt })) };
    expect(metadata.tokenBudget.prompt).toBe(12);
    const answer = JSON.stringify({ choices: [{ message: { content: "a".repeat(9) } }] });
    expect(carried(p.onResponse({ headers: { "content-type": "application/json" }, body: answer, metadata }))).toMatchObject({ tokens: 3 + 3 });
    const failed = p.onResponse({ status: 500, headers: { "content-type": "application/json" }, body: '{"error":{}}', metadata });
    expect(carried(failed)).toMatchObject({ tokens: 0 });
  });

  it("event by event: counts text across events in metadata, charges the usage chunk once, or the estimate at the end", async () => {
    const p = await policy();
    let metadata: Record<string, unknown> = { tokenBudget: carried(p.onRequest({ body: JSON.stringify({ messages: [{ content: "abcd" }] }) })) };
    const event = (index: number, body: string) => {
      const outcome = p.onResponse({ headers: SSE, body, metadata: { ...metadata, sse: { phase: "event", index, count: 1 } } });
      metadata = { tokenBudget: carried(outcome) };
      return outcome;
    };
    const head = p.onResponse({ headers: SSE, metadata: { ...metadata, sse: { phase: "head" } } });
    expect(header(head, "x-ratelimit-remaining-tokens")).toBe("1000");
    event(0, 'data: {"choices":[{"delta":{"content":"abcdef"}}]}\n\n');
    expect(metadata.tokenBudget).toMatchObject({ chars: 6, charged: false });
    event(1, 'data: {"choices":[{"delta":{"content":"gh"}}]}\n\ndata: {"choices":[{"delta":{"content":"ij"}}]}\n\n');
    expect(metadata.tokenBudget).toMatchObject({ chars: 10, charged: false });
    const end = p.onResponse({ headers: SSE, metadata: { ...metadata, sse: { phase: "end", events: 3 } } });
    expect(carried(end)).toMatchObject({ charged: true, tokens: 1 + 3 });
    expect(header(end, "x-ratelimit-remaining-tokens")).toBeUndefined(); // the head is sent already

    metadata = { tokenBudget: carried(p.onRequest({ body: "{}" })) };
    event(0, 'data: {"choices":[],"usage":{"total_tokens":40}}\n\n');
    expect(metadata.tokenBudget).toMatchObject({ charged: true, tokens: 40 });
    const after = p.onResponse({ headers: SSE, metadata: { ...metadata, sse: { phase: "end", events: 1 } } });
    expect((after as Outcome).val.val.metadata).toEqual([]); // charged already: nothing more
    expect(p.onRequest({ body: "{}" })).toMatchObject({ val: { tag: "continue" } });
    expect(
      header(
        p.onResponse({
          headers: { "content-type": "application/json" },
          body: '{"usage":{"total_tokens":0}}',
          metadata: { tokenBudget: carried(p.onRequest({ body: "{}" })) },
        }),
        "x-ratelimit-remaining-tokens",
      ),
    ).toBe(String(1000 - 4 - 40));
  });

  it("refuses with 429 once spent, naming the tighter budget, until its window ends", async () => {
    const p = await policy({ perMinute: 10, perDay: 1000 });
    p.fakes.clock.nowMs = 1_699_999_990_000n; // 10 s into a minute
    const metadata = { tokenBudget: carried(p.onRequest({ body: "{}" })) };
    p.onResponse({ headers: { "content-type": "application/json" }, body: '{"usage":{"total_tokens":10}}', metadata });
    const refused = p.onRequest({ body: "{}" }) as unknown as Outcome;
    expect(refused).toMatchObject({ val: { tag: "respond", val: { status: 429 } } });
    expect(header(refused, "retry-after")).toBe("50");
    expect(header(refused, "x-ratelimit-limit-tokens")).toBe("10");
    p.fakes.clock.advance(50_000);
    expect(p.onRequest({ body: "{}" })).toMatchObject({ val: { tag: "continue" } });
  });

  it("refuses a configuration with neither budget", async () => {
    await expect(policy({})).rejects.toThrow(/perMinute|perDay/);
  });
});
