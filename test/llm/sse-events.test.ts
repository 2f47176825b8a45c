import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { EventSplitter } from "../../host/src/proxy/sse-events.js";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { mcpClient, mcpUpstream } from "../mcp/mcp-upstream.js";
import { builtPolicy, readmeExample } from "../support/plugin-examples.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";
import { startStubLlm, type StubLlmOptions } from "./stub-llm.js";

afterEach(stopAll);

describe("EventSplitter", () => {
  const split = (chunks: string[]) => {
    const splitter = new EventSplitter();
    const events = chunks.flatMap((chunk) => splitter.push(Buffer.from(chunk)).map(String));
    const rest = splitter.end();
    return rest === undefined ? events : [...events, `REST:${rest}`];
  };

  it("ends events at an empty line with LF, CRLF or CR line ends, bytes kept as they came", () => {
    expect(split(["data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\n"])).toEqual(["data: a\n\n", "data: b\r\n\r\n", "data: c\r\r", "REST:data: d\n"]);
  });

  it("joins events cut anywhere across chunks, a CRLF or a UTF-8 character included", () => {
    const text = "event: x\r\ndata: é€\r\n\r\n: comment\r\n\r\n";
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const splitter = new EventSplitter();
      const events = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut))].map(String);
      expect(events).toEqual(["event: x\r\ndata: é€\r\n\r\n", ": comment\r\n\r\n"]);
      expect(splitter.end()).toBeUndefined();
    }
  });

  it("keeps blank lines between events with the next event, and counts what it holds", () => {
    const splitter = new EventSplitter();
    expect(splitter.push(Buffer.from("\n\ndata: a\n")).map(String)).toEqual([]);
    expect(splitter.pendingBytes).toBe(10);
    expect(splitter.push(Buffer.from("\n")).map(String)).toEqual(["\n\ndata: a\n\n"]);
    expect(splitter.pendingBytes).toBe(0);
  });
});

const CARD_REPLY = ["Your card ", "4111 1111 1111 1111", " is on file", "."];
const MASKING = "{ keepLast: 4, rules: [ { pattern: digits, luhn: true, minDigits: 13 } ] }";

/** The stub LLM behind data-mask on the response flow, event by event or (sseEvents false) whole. */
async function maskingGateway(upstream: string, sseEvents: boolean, runtime = ""): Promise<TestGateway> {
  return startTestGateway(`
plugins:
  data-mask: { path: ${builtPolicy("data-mask")}, capabilities: { regex: true }, limits: { timeoutMs: 2000 } }
${runtime}${routesYaml(`
      - name: llm
        policies:
          response: [ { plugin: data-mask, with: ${MASKING}, sseEvents: ${sseEvents} } ]
        backend: { url: "${upstream}" }`)}`);
}

function held(): { options: (o: Omit<StubLlmOptions, "release">) => StubLlmOptions; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { options: (o) => ({ ...o, release: () => gate }), release };
}

const STREAM_REQUEST = JSON.stringify({ model: "stub-1", messages: [{ role: "user", content: "my card?" }], stream: true });

describe("streamed answers event by event (sseEvents: true)", () => {
  it("masks a card number inside an event and delivers events before the upstream sends its last", async () => {
    const gate = held();
    const llm = await startStubLlm(gate.options({ reply: CARD_REPLY }));
    const gateway = await maskingGateway(llm.url, true);
    const response = await fetch(gateway.url("/v1/chat/completions"), { method: "POST", body: STREAM_REQUEST });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("content-length")).toBeNull();
    const reader = response.body!.getReader();
    let received = "";
    while (!received.includes("is on file")) received += new TextDecoder().decode((await reader.read()).value);
    expect(received).toContain('"content":"**** **** **** 1111"');
    expect(received).not.toContain("4111 1111 1111 1111");
    expect(received).not.toContain('"content":"."'); // held by the upstream until released
    gate.release();
    for (let part = await reader.read(); !part.done; part = await reader.read()) received += new TextDecoder().decode(part.value);
    const events = received.split("\n\n").filter(Boolean);
    expect(events).toHaveLength(CARD_REPLY.length + 2); // the pieces, the finish chunk, [DONE]
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(JSON.parse(events[2]!.slice(6)).choices[0].delta.content).toBe(" is on file"); // untouched events pass as sent
  });

  it("without sseEvents the answer is buffered whole for the policy, as before: nothing arrives until the upstream ends", async () => {
    const gate = held();
    const llm = await startStubLlm(gate.options({ reply: CARD_REPLY }));
    const gateway = await maskingGateway(llm.url, false);
    const pending = fetch(gateway.url("/v1/chat/completions"), { method: "POST", body: STREAM_REQUEST });
    const early = await Promise.race([pending.then(() => "head"), new Promise((resolve) => setTimeout(resolve, 500, "nothing yet"))]);
    expect(early).toBe("nothing yet");
    gate.release();
    const response = await pending;
    const text = await response.text();
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect(text).toContain("**** **** **** 1111");
  });

  it("buffers a compressed event stream whole as before (it cannot be cut into events): data-mask refuses it", async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream", "content-encoding": "gzip" });
      res.end(gzipSync('data: {"choices":[{"delta":{"content":"4111 1111 1111 1111"}}]}\n\n'));
    });
    const gateway = await maskingGateway(upstream.url, true);
    const response = await rawRequest(gateway.url("/v1/chat/completions"), { method: "POST", body: STREAM_REQUEST });
    expect(response.status).toBe(502);
    expect(response.json()).toMatchObject({ code: "DATA_MASK_BODY_ENCODED" });
  });

  it("cuts the stream when one event passes runtime.maxBodyBytes, after the events before it", async () => {
    const llm = await startStubLlm({ reply: ["short", "x".repeat(4096), "never"], gapMs: 200 });
    const gateway = await maskingGateway(llm.url, true, "runtime: { maxBodyBytes: 1024 }\n");
    const response = await fetch(gateway.url("/v1/chat/completions"), { method: "POST", body: STREAM_REQUEST });
    const reader = response.body!.getReader();
    let received = "";
    const outcome = await (async () => {
      try {
        for (let part = await reader.read(); !part.done; part = await reader.read()) received += new TextDecoder().decode(part.value);
        return "ended";
      } catch {
        return "cut";
      }
    })();
    expect(outcome).toBe("cut");
    expect(received).toContain('"content":"short"');
    expect(received).not.toContain("never");
    const access = gateway.logs.find((line) => line.msg === "request" && line.route === "llm");
    expect(access?.error).toBe("PCS_ERR_RESPONSE_TOO_LARGE");
  });
});

describe("sseEvents in the configuration", () => {
  it("is refused on a request entry, naming the YAML line", async () => {
    const yaml = `
plugins:
  data-mask: { path: ${builtPolicy("data-mask")}, capabilities: { regex: true } }
${routesYaml(`
      - name: llm
        policies:
          request: [ { plugin: data-mask, with: ${MASKING}, sseEvents: true } ]
        backend: { echo: true }`)}`;
    await expect(startTestGateway(yaml)).rejects.toThrow(/test\.yaml:\d+:\d+ .*unknown key "sseEvents"/);
  });
});

describe("mcp-guard event by event, with the official MCP client and server", () => {
  it("filters tools/list answered as SSE events when attached with sseEvents: true", async () => {
    const upstream = await mcpUpstream({ json: false });
    const yaml = readmeExample("mcp-guard", upstream.url).replace(
      "- { plugin: mcp-guard, with: *guard }",
      "- { plugin: mcp-guard, with: *guard, sseEvents: true }",
    );
    expect(yaml).toContain("sseEvents: true");
    const gateway = await startTestGateway(yaml, { env: { ALICE_API_KEY: "alice-key", BOB_API_KEY: "bob-key" } });
    const bob = await mcpClient(gateway.url("/mcp"), { "x-api-key": "bob-key" });
    expect((await bob.listTools()).tools.map((tool) => tool.name)).toEqual(["echo", "add"]);
    expect((await bob.callTool({ name: "echo", arguments: { text: "hi" } })).content).toEqual([{ type: "text", text: 'echo:{"text":"hi"}' }]);
    const alice = await mcpClient(gateway.url("/mcp"), { "x-api-key": "alice-key" });
    expect((await alice.listTools()).tools.map((tool) => tool.name)).toEqual(["echo", "add", "delete_repo"]);
    expect(upstream.calls).toEqual(["echo"]);
    // Streamed through, not buffered: no Content-Length (the buffered path sets one).
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    };
    const raw = await rawRequest(gateway.url("/mcp"), {
      method: "POST",
      headers: { "x-api-key": "bob-key", "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(initialize),
    });
    expect(raw.headers["content-type"]).toBe("text/event-stream");
    expect(raw.headers["content-length"]).toBeUndefined();
    expect(raw.headers["transfer-encoding"]).toBe("chunked");
    expect(raw.body.toString()).toContain('"serverInfo"');
  });
});
