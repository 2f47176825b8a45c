import { describe, expect, it } from "vitest";
import { createRegex } from "@portcullis/sdk/component";
import { LOOK_ALIKES } from "./look-alikes.js";
import { json, outcome, policy, text } from "./unit-helpers.js";

const EMPLOYEE_ID = "\\bEMP-\\d{6}\\b";

/** The gateway's own regex capability, counting the searches the policy asks for. */
function countingRegex() {
  const real = createRegex();
  const counted = { findAll: 0, regex: { ...real } };
  counted.regex.findAll = (handle, bytes, max) => {
    counted.findAll++;
    return real.findAll(handle, bytes, max);
  };
  return counted;
}

async function withRegex(action: string, regex = EMPLOYEE_ID, extra: Record<string, unknown> = {}) {
  const counted = countingRegex();
  const p = await policy({ patterns: [{ name: "employee-id", regex, action }], ...extra }, { capabilities: { regex: counted.regex } });
  return Object.assign(p, { counted });
}

describe("pii-guard operator regexes (unit)", () => {
  it("blocks, masks and logs regex matches in JSON string values, text bodies, query and headers", async () => {
    const block = await withRegex("block", EMPLOYEE_ID, { scan: { query: true, headers: ["x-note"] } });
    const blocked = outcome(block.onRequest(json({ messages: [{ content: "hi" }, { content: "I am EMP-004211, help" }] })));
    expect(blocked.status).toBe(400);
    expect(blocked.json()).toEqual({
      code: "PII_EMPLOYEE_ID",
      message: "the request contains data matching the pattern employee-id",
      location: "body:/messages/1/content",
    });
    expect(blocked.body).not.toContain("004211");
    expect(outcome(block.onRequest({ query: "who=EMP-004211" })).json()).toMatchObject({ location: "query:who" });
    expect(outcome(block.onRequest({ headers: { "x-note": "EMP-004211" } })).json()).toMatchObject({ location: "header:x-note" });

    const mask = await withRegex("mask");
    expect(outcome(mask.onRequest(text("by EMP-004211 and EMP-123456.")))).toMatchObject({ body: "by ***-****** and ***-******.", kinds: ["employee-id"] });
    const body = '{"a": 1.50, "ids": ["EMP-004211", "x"], "n": "EMP-12345"}';
    expect(outcome(mask.onRequest(json(body))).body).toBe('{"a": 1.50, "ids": ["***-******", "x"], "n": "EMP-12345"}');

    const log = await withRegex("log");
    const logged = outcome(log.onRequest(json({ user: { id: "EMP-004211" } })));
    expect(logged).toMatchObject({ tag: "continue", body: undefined, kinds: ["employee-id"] });
    expect(log.fakes.logs.map((l) => Object.fromEntries(l.fields.map((f) => [f.name, f.value])))).toEqual([{ kind: "employee-id", location: "body:/user/id" }]);
  });

  it("searches all the JSON string values with one host call, yet each value as if alone", async () => {
    const p = await withRegex("mask");
    const values = Array.from({ length: 500 }, (_, i) => `item ${i}`);
    values[250] = "owner EMP-004211";
    const result = outcome(p.onRequest(json({ values })));
    expect(JSON.parse(result.body!).values[250]).toBe("owner ***-******");
    expect(p.counted.findAll).toBe(1);

    // A match running across values (here from "xa" to the last "b") sends the values it touched to a search of their own.
    const spanning = await withRegex("mask", "a[^z]*b");
    expect(outcome(spanning.onRequest(json(["xa", "b", "ab", "b"]))).body).toBe('["xa","b","**","b"]');
    // Anchors mean the value's start and end, so anchored patterns are searched value by value.
    const anchored = await withRegex("mask", "^\\d{6}$");
    expect(outcome(anchored.onRequest(json(["123456", "x 123456", "654321"]))).body).toBe('["******","x 123456","******"]');
    expect(anchored.counted.findAll).toBe(3);
    // Byte offsets map back to characters after multi-byte ones.
    expect(outcome(p.onRequest(json({ a: "é → EMP-004211 ✓", b: "😀EMP-123456" }))).body).toBe('{"a":"é → ***-****** ✓","b":"😀***-******"}');
  });

  it("lets overlapping findings mask once and lets a block win over a mask", async () => {
    const p = await policy({
      detectors: { email: "mask", ssn: "block" },
      patterns: [
        { name: "bob", regex: "bob@ex", action: "mask" },
        { name: "ssn-ish", regex: "\\d{3}-\\d{2}-\\d{4}", action: "mask" },
      ],
    });
    expect(outcome(p.onRequest(text("mail bob@example.com now"))).body).toBe("mail ***@*******.*** now");
    expect(outcome(p.onRequest(text("ssn 123-45-6789"))).json()).toMatchObject({ code: "PII_SSN" });
  });

  it("lets every look-alike through an employee-id regex", async () => {
    const p = await withRegex("block");
    for (const input of [...LOOK_ALIKES, "EMP-12345", "XEMP-123456", "EMP-1234567", "EMP_123456", "emp-123456"]) {
      expect(outcome(p.onRequest(text(`note: ${input}; end`))).tag, input).toBe("continue");
      expect(outcome(p.onRequest(json({ value: input }))).tag, input).toBe("continue");
    }
  });

  it("fails closed past the host's 10,000 matches per search", async () => {
    const p = await withRegex("mask", "E\\d");
    expect(outcome(p.onRequest(text("E1 ".repeat(10_005)))).body).toBe("** ".repeat(10_005));
    const values = Array.from({ length: 2_001 }, () => "E1 E1 E1 E1 E1");
    expect(JSON.parse(outcome(p.onRequest(json(values))).body!)).toEqual(values.map(() => "** ** ** ** **"));
  });

  it("refuses bad regexes, entries with both or neither of pattern and regex, and regexes matching the empty text", async () => {
    const p = await policy({ detectors: { ssn: "block" } });
    const cases: Array<[unknown, string, RegExp]> = [
      [{ patterns: [{ name: "a", regex: "EMP-(\\d{6}", action: "block" }] }, "/patterns/0/regex", /invalid pattern/],
      [{ patterns: [{ name: "a", regex: "EMP-\\d+", pattern: "EMP-######", action: "block" }] }, "/patterns/0/pattern", /exactly one/],
      [{ patterns: [{ name: "a", action: "block" }] }, "/patterns/0/pattern", /exactly one/],
      [
        {
          patterns: [
            { name: "a", pattern: "A#", action: "log" },
            { name: "b", regex: "x*", action: "mask" },
          ],
        },
        "/patterns/1/regex",
        /empty text/,
      ],
      [
        {
          patterns: [
            { name: "a", pattern: "A#", action: "log" },
            { name: "a", regex: "B\\d", action: "log" },
          ],
        },
        "/patterns/1/name",
        /another pattern/,
      ],
    ];
    for (const [config, path, message] of cases) {
      const result = p.init(config) as { tag: string; val: { val: { path: string; message: string } } };
      expect(result, JSON.stringify(config)).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
      expect(result.val.val.message).toMatch(message);
    }
  });
});
