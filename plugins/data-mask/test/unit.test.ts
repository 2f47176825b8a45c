import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPolicy, type ResponseInput } from "@portcullis/sdk/testing";

const wasmPath = fileURLToPath(new URL("../build/data-mask.wasm", import.meta.url));
const json = { "content-type": "application/json; charset=utf-8" };

/** The body the client gets (null: the response goes on unchanged), or the direct answer. */
async function mask(config: unknown, input: ResponseInput): Promise<string | null | { status: number; body: string }> {
  const result = (await loadPolicy(wasmPath, { config })).onResponse(input);
  if (result.tag !== "ok") throw new Error(JSON.stringify(result));
  if (result.val.tag === "respond") return { status: result.val.val.status, body: new TextDecoder().decode(result.val.val.body) };
  const body = result.val.val.body;
  return body === undefined ? null : new TextDecoder().decode(body);
}

const accounts = `{"owner":{"name":"Ada","iban":"DE89370400440532013000"},
  "accounts":[{"number":"12345678901234","balance":1.10},{"number":98765432101234,"balance":12345678901234567890,"tags":["a"]}],
  "contact":"ada@example.com or call 555-0100", "active":true, "note":null}`;

describe("data-mask (unit)", () => {
  it("describes itself: request and response flows, response body only, a strict schema", async () => {
    const descriptor = (await loadPolicy(wasmPath, { config: { rules: [{ field: "iban" }] } })).describe();
    expect(descriptor).toMatchObject({ name: "data-mask", flows: ["request", "response"], needsRequestBody: false, needsResponseBody: true });
    const schema = JSON.parse(descriptor.configSchema);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.rules.items.properties.pattern.oneOf[0].enum).toEqual(["digits", "email"]);
  });

  it("asks the upstream for an unencoded body", async () => {
    const policy = await loadPolicy(wasmPath, { config: { rules: [{ field: "iban" }] } });
    expect(policy.onRequest({ headers: { "accept-encoding": "gzip, br" } })).toMatchObject({
      tag: "ok",
      val: { tag: "continue", val: { headers: [{ tag: "set", val: { name: "accept-encoding", value: "identity" } }] } },
    });
  });

  it("masks by path with wildcards, keeping the last four; numbers become strings of their digits", async () => {
    const body = await mask({ rules: [{ path: "$.accounts[*].number", keepLast: 4 }] }, { headers: json, body: accounts });
    const parsed = JSON.parse(body as string);
    expect(parsed.accounts.map((a: { number: string }) => a.number)).toEqual(["**********1234", "**********1234"]);
    expect(body).toContain('"balance":1.10');
    expect(body).toContain('"balance":12345678901234567890');
    expect(parsed.owner.iban).toBe("DE89370400440532013000");
  });

  it("masks a field by name anywhere, with its own mask character and kept prefix, and containers leaf by leaf", async () => {
    const body = await mask(
      {
        mask: "#",
        rules: [
          { field: "iban", keepFirst: 2, keepLast: 4 },
          { field: "accounts", mask: "x" },
        ],
      },
      { headers: json, body: accounts },
    );
    const parsed = JSON.parse(body as string);
    expect(parsed.owner.iban).toBe("DE################3000");
    expect(parsed.accounts[0]).toEqual({ number: "xxxxxxxxxxxxxx", balance: "xxxx" });
    expect(parsed.accounts[1].tags).toEqual(["x"]);
    expect(parsed.active).toBe(true);
    expect(parsed.note).toBeNull();
  });

  it("masks a value no longer than what would be kept entirely", async () => {
    const body = await mask({ keepLast: 4, rules: [{ field: "pin" }] }, { headers: json, body: '{"pin":"1234","long":"x"}' });
    expect(body).toBe('{"pin":"****","long":"x"}');
  });

  it("counts characters, not UTF-16 units", async () => {
    const body = await mask({ rules: [{ field: "n", keepLast: 1 }] }, { headers: json, body: '{"n":"😀é😀"}' });
    expect(body).toBe('{"n":"**😀"}');
  });

  it("finds digit runs with separators (8-19 by default) and e-mail addresses in every string", async () => {
    const body = await mask(
      {
        rules: [
          { pattern: "digits", keepLast: 4 },
          { pattern: "email", keepFirst: 1 },
        ],
      },
      { headers: json, body: '{"card":"pay 4111 1111-1111 1111 now","short":"555-0100","mail":"to ada.l@example.co.uk.","n":98765432101234,"id":1234567}' },
    );
    expect(JSON.parse(body as string)).toEqual({
      card: "pay **** ****-**** 1111 now",
      short: "555-0100",
      mail: "to a******************.",
      n: "**********1234",
      id: 1234567,
    });
  });

  it("with luhn, masks only digit runs that pass the Luhn check", async () => {
    const body = await mask(
      { rules: [{ pattern: "digits", luhn: true, minDigits: 13 }] },
      { headers: json, body: '{"a":"4111111111111111","b":"4111111111111112"}' },
    );
    expect(JSON.parse(body as string)).toEqual({ a: "****************", b: "4111111111111112" });
  });

  it("applies detectors to text bodies, and leaves other bodies and text without detectors untouched", async () => {
    const rules = { rules: [{ pattern: "digits", keepLast: 4 }] };
    expect(await mask(rules, { headers: { "content-type": "text/plain" }, body: "account 12345678 ok" })).toBe("account ****5678 ok");
    expect(await mask(rules, { headers: { "content-type": "application/octet-stream" }, body: "12345678" })).toBeNull();
    expect(await mask({ rules: [{ field: "a" }] }, { headers: { "content-type": "text/plain" }, body: "12345678" })).toBeNull();
    expect(await mask(rules, { headers: json, body: "" })).toBeNull();
  });

  it("masks regex matches in JSON strings, digit-only numbers and text bodies, keeping what the style keeps", async () => {
    const ssn = { rules: [{ pattern: { regex: "\\b\\d{3}-\\d{2}-\\d{4}\\b" }, keepLast: 4 }] };
    const body = '{"note":"ssn 123-45-6789, ref 12-345","n":[{"s":"987-65-4321"}],"é":"ßé 111-22-3333"}';
    expect(JSON.parse((await mask(ssn, { headers: json, body })) as string)).toEqual({
      note: "ssn *******6789, ref 12-345",
      n: [{ s: "*******4321" }],
      é: "ßé *******3333",
    });
    expect(await mask(ssn, { headers: { "content-type": "text/plain" }, body: "a 123-45-6789 b" })).toBe("a *******6789 b");
    const digits = { rules: [{ pattern: { regex: "^\\d{6}$" } }] };
    expect(await mask(digits, { headers: json, body: '{"pin":123456,"id":1234567}' })).toBe('{"pin":"******","id":1234567}');
  });

  it("masks only the chosen capture group of each match", async () => {
    const rules = { rules: [{ pattern: { regex: "(?i)acct=(\\d+)(x)?", group: 1 }, keepLast: 2 }] };
    expect(await mask(rules, { headers: { "content-type": "text/plain" }, body: "ACCT=123456 acct=9 acct=77x" })).toBe("ACCT=****56 acct=* acct=**x");
    const optional = { rules: [{ pattern: { regex: "id(=\\d+)?", group: 1 } }] };
    expect(await mask(optional, { headers: { "content-type": "text/plain" }, body: "id id=42" })).toBe("id id***");
  });

  it("answers 502 for a JSON body it cannot read (encoded or invalid), or passes it when configured", async () => {
    const rules = { rules: [{ field: "iban" }] };
    expect(await mask(rules, { headers: { ...json, "content-encoding": "gzip" }, body: "\x1f\x8b" })).toEqual({
      status: 502,
      body: '{"code":"DATA_MASK_BODY_ENCODED"}',
    });
    expect(await mask(rules, { headers: json, body: '{"iban":' })).toEqual({ status: 502, body: '{"code":"DATA_MASK_BODY_INVALID"}' });
    expect(await mask({ ...rules, invalidBody: "pass" }, { headers: json, body: '{"iban":' })).toBeNull();
  });

  it.each([
    [{ rules: [{ path: "$.a[" }] }, "/rules/0/path", "unterminated '[' at offset 4"],
    [{ rules: [{ field: "x" }, { path: "$" }] }, "/rules/1/path", "not the whole document"],
    [{ rules: [{ pattern: "digits", minDigits: 12, maxDigits: 8 }] }, "/rules/0/maxDigits", "below minDigits"],
    [{ keepLast: -1, rules: [{ field: "x" }] }, "/keepLast", "integer from 0 to 64"],
    [{ rules: [{ pattern: { regex: "(?<=a)b" } }] }, "/rules/0/pattern/regex", "invalid pattern"],
    [{ rules: [{ pattern: { regex: "acct=(\\d+)", group: 2 } }] }, "/rules/0/pattern/group", "no group 2"],
    [{ rules: [{ field: "x" }, "iban"] }, "/rules/1", "must be an object"],
  ])("refuses %j at init, naming the field", async (config, path, message) => {
    const policy = await loadPolicy(wasmPath, { init: false });
    const result = policy.init(config);
    expect(result).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path } } });
    expect((result as { val: { val: { message: string } } }).val.val.message).toContain(message);
  });
});

describe("data-mask (unit): body needs", () => {
  it("always needs the whole response body (a body it cannot see must not pass)", async () => {
    const p = await loadPolicy(wasmPath, { config: { rules: [{ field: "iban" }] } });
    expect(p.initInfo).toEqual({ requestBody: "none", responseBody: "whole" });
  });
});
