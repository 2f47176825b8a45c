import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../../../test/support/gateway.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";
import { rawRequest, stopAll, track } from "../../../test/support/servers.js";
import { hasRedisServer, startRedis } from "../../../test/capabilities/support/redis-server.js";
import { startStubLlm, stubUsage, type StubLlmOptions } from "../../../test/llm/stub-llm.js";

afterEach(stopAll);

const PIECES = ["The ", "answer ", "is ", "forty", "-two."];

/** One route to the stub with token-budget in both flows; `sseEvents` hands streamed answers over event by event. */
async function budgetGateway(withBlock: string, upstream: string, sseEvents = false, extra = ""): Promise<TestGateway> {
  return startTestGateway(`${extra}
plugins:
  token-budget:
    path: ${builtPolicy("token-budget")}
    capabilities: { counters: true, expression: true, crypto: true }
    limits: { timeoutMs: 2000 } # exact counts: a loaded test machine must not turn a call into a timeout
${routesYaml(`
      - name: llm
        policies:
          request: [ { plugin: token-budget, with: &budget ${withBlock} } ]
          response: [ { plugin: token-budget, with: *budget${sseEvents ? ", sseEvents: true" : ""} } ]
        backend: { url: "${upstream}" }`)}`);
}

/** Minute windows are epoch-aligned: a test counting in one starts with at least 10 s of it left. */
async function freshMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

const BUDGET = `{ key: 'request.headers["x-consumer"]', perMinute: 100 }`;

function chat(gateway: TestGateway, consumer: string, extra: Record<string, unknown> = {}) {
  const body = JSON.stringify({ model: "stub-1", messages: [{ role: "user", content: "What is the answer?" }], ...extra });
  return rawRequest(gateway.url("/v1/chat/completions"), {
    method: "POST",
    headers: { "content-type": "application/json", "x-consumer": consumer },
    body,
  });
}

describe("token-budget (gateway, OpenAI-compatible stub)", () => {
  it("charges usage.total_tokens of JSON answers and refuses a spent budget with 429 and the budget fields", async () => {
    const options: StubLlmOptions = { reply: PIECES, promptTokens: 30 };
    const llm = await startStubLlm(options);
    const gateway = await budgetGateway(BUDGET, llm.url);
    await freshMinute();
    const total = stubUsage(options).total_tokens; // 35
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await chat(gateway, "alice");
      expect(answer.status).toBe(200);
      expect(answer.headers["x-ratelimit-limit-tokens"]).toBe("100");
      remaining.push(String(answer.headers["x-ratelimit-remaining-tokens"]));
    }
    expect(remaining).toEqual([String(100 - total), String(100 - 2 * total), "0"]);
    const refused = await chat(gateway, "alice");
    expect(refused.status).toBe(429);
    expect(refused.headers["x-ratelimit-remaining-tokens"]).toBe("0");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(60);
    expect(refused.headers["x-ratelimit-reset-tokens"]).toBe(refused.headers["retry-after"]);
    expect(refused.json()).toMatchObject({ code: "TOKEN_BUDGET_EXCEEDED", budget: "minute" });
    expect(llm.requests).toHaveLength(3); // the refused request never reached the model
    expect((await chat(gateway, "bob")).headers["x-ratelimit-remaining-tokens"]).toBe(String(100 - total));
  });

  it("reads the usage chunk of a streamed answer, buffered whole when not attached with sseEvents", async () => {
    const options: StubLlmOptions = { reply: PIECES, promptTokens: 30 };
    const llm = await startStubLlm(options);
    const gateway = await budgetGateway(BUDGET, llm.url);
    await freshMinute();
    const streamed = await chat(gateway, "carol", { stream: true, stream_options: { include_usage: true } });
    expect(streamed.status).toBe(200);
    expect(streamed.headers["content-type"]).toBe("text/event-stream");
    expect(streamed.body.toString()).toContain("data: [DONE]");
    const next = await chat(gateway, "carol");
    expect(next.headers["x-ratelimit-remaining-tokens"]).toBe(String(100 - 2 * stubUsage(options).total_tokens));
  });

  it("event by event: streams before the upstream ends and charges the usage chunk once", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const options: StubLlmOptions = { reply: PIECES, promptTokens: 30, release: () => held };
    const llm = await startStubLlm(options);
    const gateway = await budgetGateway(BUDGET, llm.url, true);
    await freshMinute();
    const body = JSON.stringify({ model: "stub-1", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } });
    const response = await fetch(gateway.url("/v1/chat/completions"), { method: "POST", headers: { "x-consumer": "dave" }, body });
    expect(response.headers.get("x-ratelimit-remaining-tokens")).toBe("100"); // the head, before anything was used
    const reader = response.body!.getReader();
    let received = "";
    while (!received.includes("forty")) received += new TextDecoder().decode((await reader.read()).value);
    expect(received).not.toContain("-two."); // the upstream holds its last piece until released
    release();
    for (let part = await reader.read(); !part.done; part = await reader.read()) received += new TextDecoder().decode(part.value);
    expect(received).toContain("-two.");
    expect(received.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const next = await chat(gateway, "dave");
    expect(next.headers["x-ratelimit-remaining-tokens"]).toBe(String(100 - 2 * stubUsage(options).total_tokens));
  });

  it("estimates a stream that reports no usage: prompt and generated characters / 4, charged at the end", async () => {
    const llm = await startStubLlm({ reply: PIECES, promptTokens: 30 });
    const gateway = await budgetGateway(`{ key: 'request.headers["x-consumer"]', perMinute: 1000 }`, llm.url, true);
    await freshMinute();
    const streamed = await chat(gateway, "erin", { stream: true });
    expect(streamed.status).toBe(200);
    const promptChars = "What is the answer?".length; // 19 -> 5 tokens
    const generated = PIECES.join("").length; // 23 -> 6 tokens
    const estimate = Math.ceil(promptChars / 4) + Math.ceil(generated / 4);
    const next = await chat(gateway, "erin", { stream: true });
    expect(next.headers["x-ratelimit-remaining-tokens"]).toBe(String(1000 - estimate));
  });

  it("charges a stream the client leaves part-way: the end phase still runs on what was streamed", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const llm = await startStubLlm({ reply: PIECES, release: () => held });
    const budget = `{ key: 'request.headers["x-consumer"]', perDay: 1000, scope: shared }`;
    // /probe answers from the gateway with no usage and no text: the response flow charges 0 and shows what is left.
    const gateway = await startTestGateway(`
plugins:
  token-budget: { path: ${builtPolicy("token-budget")}, capabilities: { counters: true, expression: true, crypto: true }, limits: { timeoutMs: 2000 } }
${routesYaml(`
      - name: probe
        match: { path: { exact: /probe } }
        policies: { request: [ { plugin: token-budget, with: ${budget} } ], response: [ { plugin: token-budget, with: ${budget} } ] }
        backend: { echo: true }
      - name: llm
        policies: { request: [ { plugin: token-budget, with: ${budget} } ], response: [ { plugin: token-budget, with: ${budget}, sseEvents: true } ] }
        backend: { url: "${llm.url}" }`)}`);
    const left = async () =>
      Number((await rawRequest(gateway.url("/probe"), { method: "POST", headers: { "x-consumer": "ivan" } })).headers["x-ratelimit-remaining-tokens"]);
    expect(await left()).toBe(1000);
    const abort = new AbortController();
    const body = JSON.stringify({ model: "stub-1", messages: [{ role: "user", content: "What is the answer?" }], stream: true });
    const response = await fetch(gateway.url("/v1/chat/completions"), { method: "POST", headers: { "x-consumer": "ivan" }, body, signal: abort.signal });
    const reader = response.body!.getReader();
    let received = "";
    while (!received.includes("forty")) received += new TextDecoder().decode((await reader.read()).value);
    abort.abort(); // the upstream holds its last piece, the finish chunk and [DONE] until the end of the test
    const expected = 1000 - Math.ceil("What is the answer?".length / 4) - Math.ceil("The answer is forty".length / 4);
    let remaining = await left();
    for (const deadline = Date.now() + 5000; remaining !== expected && Date.now() < deadline; remaining = await left()) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(remaining).toBe(expected);
    release();
  });

  it("a day budget is kept beside the minute one and names itself when spent", async () => {
    const llm = await startStubLlm({ reply: PIECES, promptTokens: 30 });
    const gateway = await budgetGateway(`{ key: 'request.headers["x-consumer"]', perMinute: 10000, perDay: 50 }`, llm.url);
    expect((await chat(gateway, "frank")).headers["x-ratelimit-remaining-tokens"]).toBe("15");
    expect((await chat(gateway, "frank")).status).toBe(200);
    const refused = await chat(gateway, "frank");
    expect(refused.status).toBe(429);
    expect(refused.json()).toMatchObject({ budget: "day" });
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(86_400);
  });

  it("refuses a configuration with no budget at load, naming the policy", async () => {
    const llm = await startStubLlm({ reply: PIECES });
    await expect(budgetGateway(`{ key: 'request.headers["x-consumer"]' }`, llm.url)).rejects.toThrow(/token-budget|perMinute|perDay/);
  });

  it("runs the README example: the consumer api-key names is charged, streamed answers event by event", async () => {
    const llm = await startStubLlm({ reply: PIECES, promptTokens: 30 });
    const gateway = await startTestGateway(readmeExample("token-budget", llm.url), { env: { ALICE_API_KEY: "alice-key" } });
    await freshMinute();
    const send = (stream: boolean) =>
      rawRequest(gateway.url("/v1/chat/completions"), {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "alice-key" },
        body: JSON.stringify({ model: "stub-1", messages: [{ role: "user", content: "hi" }], stream, stream_options: { include_usage: stream } }),
      });
    expect((await send(false)).headers["x-ratelimit-remaining-tokens"]).toBe(String(20000 - 35));
    const streamed = await send(true);
    expect(streamed.headers["content-length"]).toBeUndefined();
    expect(streamed.headers["x-ratelimit-remaining-tokens"]).toBe(String(20000 - 35));
    expect((await send(false)).headers["x-ratelimit-remaining-tokens"]).toBe(String(20000 - 3 * 35));
    expect((await rawRequest(gateway.url("/v1/chat/completions"), { method: "POST", body: "{}" })).status).toBe(401);
  });

  describe.skipIf(!hasRedisServer)("with the counters in Redis (real redis-server)", () => {
    it("two gateways share one budget; with Redis gone, onStoreError: closed answers 503", async () => {
      const redis = await startRedis();
      track(() => redis.stop());
      const llm = await startStubLlm({ reply: PIECES, promptTokens: 30 }); // 35 tokens an answer
      const stores = `stores: { backend: redis, redis: { url: "${redis.url}", prefix: "budget-test:", timeoutMs: 200 } }\n`;
      const budget = `{ key: 'request.headers["x-consumer"]', perDay: 200, onStoreError: closed }`;
      const gateways = [await budgetGateway(budget, llm.url, false, stores), await budgetGateway(budget, llm.url, true, stores)];
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push((await chat(gateways[i % 2]!, "grace", i % 2 === 1 ? { stream: true, stream_options: { include_usage: true } } : {})).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]); // admitted while under 200: 0, 35, ..., 175
      expect(llm.requests).toHaveLength(6);
      await redis.stop();
      const unavailable = await chat(gateways[0]!, "heidi");
      expect(unavailable.status).toBe(503);
      expect(unavailable.json()).toMatchObject({ code: "PCS_ERR_POLICY_UNAVAILABLE" });
    });
  });
});
