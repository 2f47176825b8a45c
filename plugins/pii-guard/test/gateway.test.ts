import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { recordingUpstream } from "../../../test/support/recording-upstream.js";
import { rawRequest, stopAll } from "../../../test/support/servers.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";
import { LOOK_ALIKES } from "./look-alikes.js";

afterEach(stopAll);

/** An agent-style upstream that records every request it receives. */
const recordingAgent = () => recordingUpstream({ body: JSON.stringify({ reply: "ok" }), headers: { "content-type": "application/json" } });

const chat = (content: string, extra = "") => `{"messages":[{"role":"user","content":"${content}"}]${extra}}`;
const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  rawRequest(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("pii-guard (gateway)", () => {
  it("runs the README example: an SSN never reaches the agent, blocked on one route and masked on the other", async () => {
    const agent = await recordingAgent();
    const gateway = await startTestGateway(readmeExample("pii-guard", agent.url));

    const blocked = await post(gateway.url("/agent/chat"), chat("my ssn is 123-45-6789"));
    expect(blocked.status).toBe(400);
    expect(blocked.json()).toEqual({ code: "PII_SSN", message: "the request contains a US social security number", location: "body:/messages/0/content" });
    expect(blocked.body.toString()).not.toContain("6789");
    expect(agent.received).toHaveLength(0);

    const masked = await post(gateway.url("/assistant/chat"), chat("my ssn is 123-45-6789"));
    expect(masked.status).toBe(200);
    const expected = chat("my ssn is ***-**-****");
    expect(agent.received).toMatchObject([{ url: "/assistant/chat", body: expected, headers: { "content-length": String(Buffer.byteLength(expected)) } }]);
    expect(agent.received).toHaveLength(1);
  });

  it("masks e-mail and phone on the agent route and keeps content-length right when the body shrinks", async () => {
    const agent = await recordingAgent();
    const gateway = await startTestGateway(readmeExample("pii-guard", agent.url));
    const sent = chat("mail bob@example.com or call +1 415 555 2671, EMP-12345");
    expect((await post(gateway.url("/agent/chat"), sent)).status).toBe(200);
    expect(agent.received[0]!.body).toBe(chat("mail ***@*******.*** or call +* *** *** ****, EMP-12345"));

    const escaped = '{"note":"ssn 123\\u002d45\\u002d6789"}';
    expect((await post(gateway.url("/assistant/chat?email=a%40example.com"), escaped)).status).toBe(200);
    const received = agent.received[1]!;
    expect(received.body).toBe('{"note":"ssn ***-**-****"}');
    expect(Number(received.headers["content-length"])).toBe(Buffer.byteLength(received.body));
    expect(Number(received.headers["content-length"])).toBeLessThan(escaped.length);
    expect(received.url).toBe("/assistant/chat?email=a%40example.com");
  });

  it("runs the README example's operator regex: an employee id is blocked on one route and masked on the other", async () => {
    const agent = await recordingAgent();
    const gateway = await startTestGateway(readmeExample("pii-guard", agent.url));
    const blocked = await post(gateway.url("/agent/chat"), chat("I am EMP-004211"));
    expect(blocked.status).toBe(400);
    expect(blocked.json()).toEqual({
      code: "PII_EMPLOYEE_ID",
      message: "the request contains data matching the pattern employee-id",
      location: "body:/messages/0/content",
    });
    expect(blocked.body.toString()).not.toContain("004211");
    expect(agent.received).toHaveLength(0);

    expect((await post(gateway.url("/assistant/chat"), chat("I am EMP-004211, not XEMP-004211"))).status).toBe(200);
    expect(agent.received[0]!.body).toBe(chat("I am ***-******, not XEMP-004211"));
  });

  it("refuses to start on a regex that does not compile, naming its line", async () => {
    const yaml = `plugins:
  pii-guard: { path: ${builtPolicy("pii-guard")}, capabilities: { log: true, regex: true } }
${routesYaml(`
      - name: strict
        match: { path: { prefix: /strict } }
        policies:
          request:
            - plugin: pii-guard
              with:
                patterns:
                  - { name: employee-id, regex: 'EMP-(d{6}', action: block }
        backend: { url: "http://127.0.0.1:9" }`)}`;
    await expect(startTestGateway(yaml)).rejects.toThrow(/patterns\/0\/regex[\s\S]*test\.yaml:\d+|test\.yaml:\d+[\s\S]*patterns\/0\/regex/);
  });

  it("passes every look-alike through unchanged", async () => {
    const agent = await recordingAgent();
    const gateway = await startTestGateway(readmeExample("pii-guard", agent.url));
    const lookAlikes = [...LOOK_ALIKES, "EMP-12345", "XEMP-004211", "EMP-0042113", "EMP_004211"];
    const body = JSON.stringify({ messages: lookAlikes.map((content) => ({ content })), orderNumber: 4242424242424241 });
    const response = await post(gateway.url("/agent/chat"), body);
    expect(response.status, response.body.toString()).toBe(200);
    expect(agent.received[0]!.body).toBe(body);
  });

  it("blocks a card in a JSON number and bodies it cannot scan; masks the query when asked", async () => {
    const agent = await recordingAgent();
    const gateway = await startTestGateway(`plugins:
  pii-guard: { path: ${builtPolicy("pii-guard")}, capabilities: { log: true, regex: true } }
${routesYaml(`
      - name: strict
        match: { path: { prefix: /strict } }
        policies:
          request: [ { plugin: pii-guard, with: { detectors: { card: block, email: mask }, scan: { query: true } } } ]
        backend: { url: "${agent.url}" }`)}`);
    const card = await post(gateway.url("/strict"), '{"payment":{"number":4111111111111111}}');
    expect(card.status).toBe(400);
    expect(card.json()).toMatchObject({ code: "PII_CARD", location: "body:/payment/number" });
    const gzip = await post(gateway.url("/strict"), "\u001f\u008b compressed", { "content-encoding": "gzip" });
    expect(gzip.status).toBe(415);
    expect(gzip.json()).toMatchObject({ code: "PII_UNSCANNABLE" });
    expect(agent.received).toHaveLength(0);

    expect((await rawRequest(gateway.url("/strict/search?q=carol%40example.org&page=2"))).status).toBe(200);
    expect(agent.received[0]!.url).toBe("/strict/search?q=*****%40*******.***&page=2");
    expect((await post(gateway.url("/strict"), "")).status).toBe(200);
  });
});
