import { describe, expect, it } from "vitest";
import { LOOK_ALIKES } from "./look-alikes.js";
import { json, outcome, policy, text } from "./unit-helpers.js";

const ALL = { ssn: "log", card: "log", email: "log", phone: "log", iban: "log" };

describe("pii-guard (unit)", () => {
  it("describes itself: request and response flows, may need both bodies, strict schema", async () => {
    const p = await policy({ detectors: { ssn: "block" } });
    const descriptor = p.describe();
    expect(descriptor).toMatchObject({ name: "pii-guard", flows: ["request", "response"], needsRequestBody: true, needsResponseBody: true });
    const schema = JSON.parse(descriptor.configSchema);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.$defs.action.enum).toEqual(["block", "mask", "log"]);
  });

  it("detects each kind in its usual formats", async () => {
    const p = await policy({ detectors: ALL });
    const cases: Array<[string, string]> = [
      ["my ssn is 123-45-6789.", "ssn"],
      ["ssn: 123 45 6789", "ssn"],
      ["card 4111 1111 1111 1111 exp 12/29", "card"],
      ["4111-1111-1111-1111", "card"],
      ["4111111111111111", "card"],
      ["amex 3782 822463 10005", "card"],
      ["5555555555554444", "card"],
      ["2223003122003222", "card"],
      ["write to alice@example.com", "email"],
      ["<first.last+tag@mail.sub.example.co.uk>", "email"],
      ["call +14155552671", "phone"],
      ["+44 20 7946 0958", "phone"],
      ["(415) 555-2671", "phone"],
      ["415-555-2671", "phone"],
      ["415.555.2671", "phone"],
      ["iban DE89370400440532013000", "iban"],
      ["DE89 3704 0044 0532 0130 00", "iban"],
      ["GB82WEST12345698765432", "iban"],
      ["FR1420041010050500013M02606", "iban"],
    ];
    for (const [input, kind] of cases) expect(outcome(p.onRequest(text(input))).kinds, input).toEqual([kind]);
  });

  it("lets every look-alike through (order numbers, timestamps, UUIDs, versions, IPs, invoice ids, failing checksums)", async () => {
    const p = await policy({ detectors: { ssn: "block", card: "block", email: "block", phone: "block", iban: "block" } });
    for (const input of LOOK_ALIKES) {
      const result = outcome(p.onRequest(text(`note: ${input}; end`)));
      expect(result.tag, input).toBe("continue");
      expect(result.kinds, input).toEqual([]);
      expect(outcome(p.onRequest(json({ value: input }))).tag, input).toBe("continue");
    }
    expect(outcome(p.onRequest(json({ orderNumber: 4242424242424241, at: 1705312200000, amount: 12.5 }))).tag).toBe("continue");
  });

  it("blocks with 400 and a code naming the kind and where it was, never echoing the data", async () => {
    const p = await policy({ detectors: { ssn: "block", card: "block", email: "log" } });
    const result = outcome(p.onRequest(json({ messages: [{ role: "user", content: "hi" }, { content: "my ssn is 123-45-6789" }] })));
    expect(result.status).toBe(400);
    expect(result.json()).toEqual({ code: "PII_SSN", message: "the request contains a US social security number", location: "body:/messages/1/content" });
    expect(result.body).not.toContain("6789");
    const card = outcome(p.onRequest(json({ "pay/ment": { card: 4111111111111111 } })));
    expect(card.json()).toMatchObject({ code: "PII_CARD", location: "body:/pay~1ment/card" });
    // Keys are decoded only for the pointer of a finding: escapes and "~" included.
    const escapedKey = outcome(p.onRequest(json('{"list": [{"n\\u0061me~": "x"}, {"n\\u0061me~": "ssn 123-45-6789"}]}')));
    expect(escapedKey.json()).toMatchObject({ code: "PII_SSN", location: "body:/list/1/name~0" });
    expect(outcome(p.onRequest(text("4111 1111 1111 1111"))).json()).toMatchObject({ code: "PII_CARD", location: "body" });
  });

  it("masks JSON string values in place, keeping the rest of the document byte for byte", async () => {
    const p = await policy({ detectors: { ssn: "mask", card: "mask", email: "mask" } });
    const body =
      '{ "n": 1.50, "big": 12345678901234567890,\n  "messages": [ {"content": "ssn 123-45-6789, mail bob@example.com"} ],\n  "card": 4111111111111111, "esc": "123\\u002d45-6789" }';
    const result = outcome(p.onRequest(json(body)));
    expect(result.tag).toBe("continue");
    expect(result.body).toBe(
      '{ "n": 1.50, "big": 12345678901234567890,\n  "messages": [ {"content": "ssn ***-**-****, mail ***@*******.***"} ],\n  "card": "****************", "esc": "***-**-****" }',
    );
    expect(result.kinds).toEqual(["ssn", "email", "card"]);
  });

  it("masks every value of a body near the runtime's 1 MiB default without running out of memory", async () => {
    const p = await policy({ detectors: { email: "mask" } });
    const addresses = Array.from({ length: 32_000 }, (_, i) => `user${i}@example.com`);
    const body = JSON.stringify(addresses);
    expect(body.length).toBeGreaterThan(700_000);
    const result = outcome(p.onRequest(json(body)));
    expect(result.tag).toBe("continue");
    const masked = JSON.parse(result.body!) as string[];
    expect(masked).toHaveLength(32_000);
    expect(masked.every((value, i) => value.length === addresses[i]!.length && /^\*+@\*+\.\*+$/.test(value))).toBe(true);
  });

  it("masks plain text bodies with the configured character", async () => {
    const p = await policy({ detectors: { phone: "mask", iban: "mask" }, maskChar: "#" });
    const result = outcome(p.onRequest(text("call (415) 555-2671, pay DE89 3704 0044 0532 0130 00.")));
    expect(result.body).toBe("call (###) ###-####, pay #### #### #### #### #### ##.");
  });

  it("logs the kind and where, never the value, and lets the request go on unchanged", async () => {
    const p = await policy({ detectors: { email: "log", ssn: "log" } });
    const result = outcome(p.onRequest(json({ user: { email: "carol@example.org", ssn: "078-05-1120" } })));
    expect(result.tag).toBe("continue");
    expect(result.body).toBeUndefined();
    expect(result.kinds).toEqual(["email", "ssn"]);
    const logs = p.fakes.logs.map((l) => ({ level: l.level, message: l.message, fields: Object.fromEntries(l.fields.map((f) => [f.name, f.value])) }));
    expect(logs).toEqual([
      { level: "warn", message: "personal data in request", fields: { kind: "email", location: "body:/user/email" } },
      { level: "warn", message: "personal data in request", fields: { kind: "ssn", location: "body:/user/ssn" } },
    ]);
    expect(JSON.stringify(p.fakes.logs)).not.toMatch(/carol|1120/);
  });

  it("scans the query string and named headers when asked: masks, re-encodes, or blocks", async () => {
    const p = await policy({ detectors: { email: "mask", ssn: "block" }, scan: { query: true, headers: ["X-Note"] } });
    const masked = outcome(
      p.onRequest({
        query: "q=mail%20dave%40example.com&page=2&raw=%ZZ",
        headers: [
          ["x-note", "from eve@example.net"],
          ["x-note", "ok"],
        ],
      }),
    );
    expect(masked.query).toBe("q=mail%20****%40*******.***&page=2&raw=%ZZ");
    expect(masked.headers).toEqual([
      { tag: "set", val: { name: "x-note", value: "from ***@*******.***" } },
      { tag: "append", val: { name: "x-note", value: "ok" } },
    ]);
    expect(outcome(p.onRequest({ query: "ssn=123-45-6789" })).json()).toMatchObject({ code: "PII_SSN", location: "query:ssn" });
    expect(outcome(p.onRequest({ headers: { "x-note": "123 45 6789" } })).json()).toMatchObject({ code: "PII_SSN", location: "header:x-note" });
    const off = await policy({ detectors: { ssn: "block" } });
    expect(outcome(off.onRequest({ query: "ssn=123-45-6789", headers: { "x-note": "123-45-6789" } })).tag).toBe("continue");
  });

  it("scans malformed JSON as text, skips empty bodies, and refuses bodies it cannot read unless allowed", async () => {
    const p = await policy({ detectors: { ssn: "block" } });
    expect(outcome(p.onRequest(json('{"content": "123-45-6789"'))).json()).toMatchObject({ code: "PII_SSN", location: "body" });
    expect(outcome(p.onRequest(json(""))).tag).toBe("continue");
    expect(outcome(p.onRequest({ method: "POST", body: "123-45-6789" })).status).toBe(400);
    const gzip = outcome(p.onRequest(text("\u001f\u008b...", { "content-type": "application/json", "content-encoding": "gzip" })));
    expect(gzip.status).toBe(415);
    expect(gzip.json()).toMatchObject({ code: "PII_UNSCANNABLE" });
    expect(outcome(p.onRequest(text("123-45-6789", { "content-type": "application/octet-stream" }))).status).toBe(415);
    const allow = await policy({ detectors: { ssn: "block" }, unscannable: "allow" });
    expect(outcome(allow.onRequest(text("bytes", { "content-type": "application/octet-stream" }))).tag).toBe("continue");
    expect(outcome(allow.onRequest(text("123-45-6789", { "content-type": "text/csv; charset=utf-8" }))).status).toBe(400);
  });

  it("matches operator shapes at token boundaries: # digit, @ letter, ? either, \\ escapes", async () => {
    const p = await policy({
      patterns: [
        { name: "employee-id", pattern: "EMP-######", action: "mask" },
        { name: "ticket", pattern: "\\#@@?-##", action: "block", code: "TICKET_REF" },
      ],
    });
    expect(outcome(p.onRequest(text("by EMP-004211 and XEMP-004211 and EMP-0042113")))).toMatchObject({
      body: "by ***-****** and XEMP-004211 and EMP-0042113",
      kinds: ["employee-id"],
    });
    expect(outcome(p.onRequest(text("see #ab7-12 now"))).json()).toEqual({
      code: "TICKET_REF",
      message: "the request contains data matching the pattern ticket",
      location: "body",
    });
    expect(outcome(p.onRequest(text("see ab7-12 or #ab7-123"))).tag).toBe("continue");
    const defaults = await policy({ patterns: [{ name: "badge-no", pattern: "B###", action: "block" }] });
    expect(outcome(defaults.onRequest(text("B123"))).json()).toMatchObject({ code: "PII_BADGE_NO" });
  });

  it("refuses configurations that enable nothing, bad shapes and repeated pattern names at init", async () => {
    const p = await policy({ detectors: { ssn: "block" } });
    const cases: Array<[unknown, string]> = [
      [{ detectors: {} }, "/detectors"],
      [{ patterns: [{ name: "a", pattern: "ab\\", action: "block" }] }, "/patterns/0/pattern"],
      [
        {
          patterns: [
            { name: "a", pattern: "A#", action: "block" },
            { name: "a", pattern: "B#", action: "log" },
          ],
        },
        "/patterns/1/name",
      ],
      [{ detectors: { ssn: "drop" } }, "/detectors/ssn"],
      [{ detectors: { ssn: "block" }, maskChar: "x" }, "/maskChar"],
    ];
    for (const [config, path] of cases) {
      expect(p.init(config), JSON.stringify(config)).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    }
  });
});
