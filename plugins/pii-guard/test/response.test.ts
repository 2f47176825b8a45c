import { describe, expect, it } from "vitest";
import { outcome, policy } from "./unit-helpers.js";

const DETECTORS = { ssn: "block", card: "mask", email: "mask", phone: "log" };
const scanning = () => policy({ detectors: DETECTORS, scan: { response: true } });
const answer = (body: string, contentType: string, extra: Record<string, unknown> = {}) => ({
  status: 200,
  headers: { "content-type": contentType },
  body,
  ...extra,
});

describe("pii-guard on answers (scan.response)", () => {
  it("asks for the response body only when scan.response is on, and leaves answers alone without it", async () => {
    expect((await scanning()).initInfo).toEqual({ requestBody: "whole", responseBody: "whole" });
    const requestOnly = await policy({ detectors: DETECTORS });
    expect(requestOnly.initInfo).toEqual({ requestBody: "whole", responseBody: "none" });
    const result = outcome(requestOnly.onResponse(answer('{"ssn":"123-45-6789"}', "application/json")));
    expect(result.tag).toBe("continue");
    expect(result.body).toBeUndefined();
  });

  it("masks JSON string values in place, and answers 502 PII_<KIND> without the data on a block", async () => {
    const guard = await scanning();
    const masked = outcome(guard.onResponse(answer('{"card": "4111 1111 1111 1111", "n": 1.50, "mail":"bob@example.com"}', "application/json")));
    expect(masked.tag).toBe("continue");
    expect(masked.body).toBe('{"card": "**** **** **** ****", "n": 1.50, "mail":"***@*******.***"}');
    expect(masked.kinds).toEqual(["card", "email"]);
    const afterRequest = outcome(
      guard.onResponse(answer('{"mail":"bob@example.com"}', "application/json", { metadata: { pii: { kinds: ["ssn", "email"] } } })),
    );
    expect(afterRequest.kinds).toEqual(["ssn", "email"]); // the request flow's kinds kept, the answer's added

    const blocked = outcome(guard.onResponse(answer('{"items":[{"note":"ssn 123-45-6789"}]}', "application/json")));
    expect(blocked.tag).toBe("respond");
    expect(blocked.status).toBe(502);
    expect(blocked.json()).toEqual({ code: "PII_SSN", message: "the answer contains a US social security number", location: "body:/items/0/note" });
    expect(blocked.body).not.toContain("6789");
  });

  it("masks plain text answers, logs `log` kinds as found in the answer, and refuses compressed ones with 502", async () => {
    const guard = await scanning();
    const masked = outcome(guard.onResponse(answer("call +1 415 555 2671 or mail bob@example.com", "text/plain; charset=utf-8")));
    expect(masked.body).toBe("call +1 415 555 2671 or mail ***@*******.***");
    const logs = guard.fakes.logs.map((l) => ({ message: l.message, fields: Object.fromEntries(l.fields.map((f) => [f.name, f.value])) }));
    expect(logs).toEqual([{ message: "personal data in answer", fields: { kind: "phone", location: "body" } }]);
    const gzip = outcome(
      guard.onResponse({ ...answer("\u001f\u008b", "application/json"), headers: { "content-type": "application/json", "content-encoding": "gzip" } }),
    );
    expect(gzip.status).toBe(502);
    expect(gzip.json()).toMatchObject({ code: "PII_UNSCANNABLE" });
  });

  it("masks the data of each server-sent event, keeping ids, event names, comments, line ends and multi-line data", async () => {
    const guard = await scanning();
    const stream =
      ": keep-alive\r\n\r\n" +
      'event: message\r\nid: 7\r\ndata: {"result":{"content":[{"type":"text",\r\ndata:  "text":"card 4111111111111111"}]}}\r\n\r\n' +
      "data: plain bob@example.com\ndata: second line\n\n" +
      "data: nothing here\n\n" +
      "retry: 10\rdata: cr only carol@example.org\r\r";
    const masked = outcome(guard.onResponse(answer(stream, "text/event-stream")));
    expect(masked.body).toBe(
      ": keep-alive\r\n\r\n" +
        'event: message\r\nid: 7\r\ndata: {"result":{"content":[{"type":"text",\r\ndata:  "text":"card ****************"}]}}\r\n\r\n' +
        "data: plain ***@*******.***\ndata: second line\n\n" +
        "data: nothing here\n\n" +
        "retry: 10\rdata: cr only *****@*******.***\r\r",
    );
    const untouched = "event: ping\ndata: 2024-01-02 order 4111111111111112\n\n";
    expect(outcome(guard.onResponse(answer(untouched, "text/event-stream"))).body).toBeUndefined();
  });

  it("names the event of a block, counting from metadata sse's index in the event-by-event flow", async () => {
    const guard = await scanning();
    const events = 'data: {"delta":"fine"}\n\ndata: {"delta":"ssn 123-45-6789"}\n\n';
    const whole = outcome(guard.onResponse(answer(events, "text/event-stream")));
    expect(whole.status).toBe(502);
    expect(whole.json()).toMatchObject({ code: "PII_SSN", location: "event:1:/delta" });
    const oneCall = outcome(guard.onResponse(answer(events, "text/event-stream", { metadata: { sse: { phase: "event", index: 40, count: 2 } } })));
    expect(oneCall.json()).toMatchObject({ code: "PII_SSN", location: "event:41:/delta" });
    const head = outcome(guard.onResponse({ ...answer("", "text/event-stream"), body: undefined, metadata: { sse: { phase: "head" } } }));
    expect(head.tag).toBe("continue");
    expect(head.body).toBeUndefined();
  });

  it("on an MCP route refuses with a JSON-RPC error for the message's id (HTTP 200), the request side with -32602", async () => {
    const guard = await scanning();
    const mcp = { method: "tools/call", tool: "lookup", id: 9 };
    const result = '{"jsonrpc":"2.0","id":9,"result":{"content":[{"type":"text","text":"ssn 123-45-6789"}]}}';
    const refused = outcome(guard.onResponse(answer(result, "application/json", { metadata: { mcp } })));
    expect(refused.status).toBe(200);
    const data = { code: "PII_SSN", message: "the answer contains a US social security number", location: "body:/result/content/0/text" };
    expect(refused.json()).toEqual({ jsonrpc: "2.0", id: 9, error: { code: -32603, message: data.message, data } });

    const call = JSON.stringify({ jsonrpc: "2.0", id: "a", method: "tools/call", params: { name: "lookup", arguments: { ssn: "123-45-6789" } } });
    const request = { method: "POST", headers: { "content-type": "application/json" }, body: call, metadata: { mcp: { ...mcp, id: "a" } } };
    const asked = outcome(guard.onRequest(request));
    expect(asked.status).toBe(200);
    expect(asked.json()).toMatchObject({ jsonrpc: "2.0", id: "a", error: { code: -32602, data: { code: "PII_SSN", location: "body:/params/arguments/ssn" } } });
    expect(asked.body).not.toContain("6789");
    // A batch or a notification has no single id to answer: the plain 400.
    const batch = outcome(guard.onRequest({ ...request, metadata: { mcp: { batch: [mcp] } } }));
    expect(batch.status).toBe(400);
  });
});
