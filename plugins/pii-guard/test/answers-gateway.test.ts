import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";
import { rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";
import { startStubLlm, type StubLlmOptions } from "../../../test/llm/stub-llm.js";

afterEach(stopAll);

const GUARD = "{ detectors: { ssn: mask, card: block, email: mask }, scan: { response: true } }";
const STREAM_REQUEST = JSON.stringify({ model: "stub-1", messages: [{ role: "user", content: "who am I?" }], stream: true });

/** pii-guard on the response flow of a route to `upstream`, event by event or (sseEvents false) whole. */
function guardedGateway(upstream: string, sseEvents: boolean) {
  return startTestGateway(`
plugins:
  pii-guard: { path: ${builtPolicy("pii-guard")}, capabilities: { log: true, regex: true } }
${routesYaml(`
      - name: llm
        policies:
          response: [ { plugin: pii-guard, with: ${GUARD}, sseEvents: ${sseEvents} } ]
        backend: { url: "${upstream}" }`)}`);
}

function held(): { options: (o: Omit<StubLlmOptions, "release">) => StubLlmOptions; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { options: (o) => ({ ...o, release: () => gate }), release };
}

/** Reads a streamed answer to its end: "ended", or "cut" when the connection broke. */
async function readAll(response: Response): Promise<{ text: string; outcome: string }> {
  const reader = response.body!.getReader();
  let text = "";
  try {
    for (let part = await reader.read(); !part.done; part = await reader.read()) text += new TextDecoder().decode(part.value);
    return { text, outcome: "ended" };
  } catch {
    return { text, outcome: "cut" };
  }
}

describe("pii-guard on answers through the gateway", () => {
  it("masks an SSN in a streamed LLM answer event by event, before the upstream has finished", async () => {
    const gate = held();
    const llm = await startStubLlm(gate.options({ reply: ["You are ", "123-45-6789", " (bob@example.com)", "."] }));
    const gateway = await guardedGateway(llm.url, true);
    const response = await fetch(gateway.url("/v1/chat/completions"), { method: "POST", body: STREAM_REQUEST });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBeNull();
    const reader = response.body!.getReader();
    let received = "";
    while (!received.includes(".***)")) received += new TextDecoder().decode((await reader.read()).value);
    expect(received).toContain('"content":"***-**-****"');
    expect(received).toContain('"content":" (***@*******.***)"');
    expect(received).not.toContain("6789");
    gate.release();
    for (let part = await reader.read(); !part.done; part = await reader.read()) received += new TextDecoder().decode(part.value);
    expect(received.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("masks the same stream buffered whole without sseEvents, content-length set for the new body", async () => {
    const llm = await startStubLlm({ reply: ["You are ", "123-45-6789", "."] });
    const gateway = await guardedGateway(llm.url, false);
    const response = await fetch(gateway.url("/v1/chat/completions"), { method: "POST", body: STREAM_REQUEST });
    const text = await response.text();
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect(text).toContain('"content":"***-**-****"');
    expect(text).not.toContain("6789");
  });

  it("a card to block cuts the stream after the events before it (the head is already sent), never passing the card", async () => {
    const llm = await startStubLlm({ reply: ["Your card: ", "4111 1111 1111 1111", "never sent"], gapMs: 100 });
    const gateway = await guardedGateway(llm.url, true);
    const response = await fetch(gateway.url("/v1/chat/completions"), { method: "POST", body: STREAM_REQUEST });
    const { text, outcome } = await readAll(response);
    expect(outcome).toBe("cut");
    expect(text).toContain('"content":"Your card: "');
    expect(text).not.toContain("1111");
    expect(text).not.toContain("never sent");
  });

  it("answers 502 PII_CARD for a JSON answer holding a card, and masks one holding an SSN, keeping the rest byte for byte", async () => {
    const upstream = await startUpstream((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(req.url === "/card" ? '{"payment": {"card": "4111-1111-1111-1111"}}' : '{"user": {"ssn": "123-45-6789", "age": 4.0}}');
    });
    const gateway = await guardedGateway(upstream.url, false);
    const blocked = await rawRequest(gateway.url("/card"));
    expect(blocked.status).toBe(502);
    expect(blocked.json()).toEqual({ code: "PII_CARD", message: "the answer contains a payment card number", location: "body:/payment/card" });
    expect(blocked.body.toString()).not.toContain("1111");
    const masked = await rawRequest(gateway.url("/user"));
    expect(masked.status).toBe(200);
    expect(masked.body.toString()).toBe('{"user": {"ssn": "***-**-****", "age": 4.0}}');
    expect(masked.headers["content-length"]).toBe(String(masked.body.length));
  });

  it("runs the README's llm route: a streamed SSN arrives masked", async () => {
    const llm = await startStubLlm({ reply: ["You are ", "123-45-6789", "."] });
    const gateway = await startTestGateway(readmeExample("pii-guard", llm.url, 1));
    const response = await fetch(gateway.url("/v1/chat/completions"), { method: "POST", body: STREAM_REQUEST });
    const { text, outcome } = await readAll(response);
    expect(outcome).toBe("ended");
    expect(text).toContain('"content":"***-**-****"');
    expect(text).not.toContain("6789");
  });
});
