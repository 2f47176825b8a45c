import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicy, type TestPolicy } from "../../sdk/src/testing/index.js";
import { buildFixture } from "./support/fixtures.js";

let policy: TestPolicy;

beforeAll(async () => {
  policy = await loadPolicy((await buildFixture("json-path")).wasmPath);
});

interface Answer {
  status: number;
  text: string;
  headers: Record<string, string>;
}

/** Runs one operation of the json-path fixture on `document` (JSON text). */
function run(document: string, headers: Record<string, string>): Answer {
  const result = policy.onRequest({ headers, body: document });
  if (result.tag !== "ok" || result.val.tag !== "respond") throw new Error(JSON.stringify(result));
  const answer = result.val.val;
  return {
    status: answer.status,
    text: new TextDecoder().decode(answer.body),
    headers: Object.fromEntries(answer.headers.map((h) => [h.name, h.value])),
  };
}

/** Written as text: JSON.stringify would turn 1.10 into 1.1 before the guest sees it. */
const bank = `{
  "owner": { "name": "Ada", "iban": "DE89370400440532013000" },
  "accounts": [
    { "number": "12345678", "balance": 1.10, "iban": "GB29NWBK60161331926819" },
    { "number": 987654321012, "balance": 12345678901234567890, "meta": { "iban": "FR1420041010050500013M02606" } }
  ],
  "odd key.with dots": { "it's": true }
}`;

describe("JsonValue serialization", () => {
  it("writes parsed numbers back as written: 1.10, big integers, exponents, -0", () => {
    const text = '{"a":1.10,"b":12345678901234567890,"c":1e400,"d":-0,"e":2.5E-3,"f":[0.1,100]}';
    expect(run(text, { "x-op": "round-trip" }).text).toBe(text);
  });

  it("keeps other numbers byte for byte when one field is edited", () => {
    const answer = run('{"amount":1.10,"id":12345678901234567890,"note":"x"}', { "x-op": "set", "x-path": "$.note", "x-value": '"y"' });
    expect(answer.text).toBe('{"amount":1.10,"id":12345678901234567890,"note":"y"}');
  });

  it("normalizes string escapes to their minimal form (documented)", () => {
    expect(run('{"s":"\\u00e9\\/\\t"}', { "x-op": "round-trip" }).text).toBe('{"s":"é/\\t"}');
  });
});

describe("JsonPath syntax", () => {
  it.each([
    ["", "a path starts with '$' at offset 0"],
    ["a.b", "a path starts with '$' at offset 0"],
    ["$.", "expected a name after '.' at offset 2"],
    ["$.a..", "expected a name after '.' at offset 5"],
    ["$.1a", "expected a name after '.' at offset 2"],
    ["$a", "expected '.' or '[' at offset 1"],
    ["$.a[", "unterminated '[' at offset 4"],
    ["$.a[1", "expected ']' at offset 5"],
    ["$.a[01]", "invalid index at offset 4"],
    ["$.a[-1]", "expected a quoted name, an index or '*' after '[' at offset 4"],
    ['$["a', "unterminated quoted name at offset 4"],
    ['$["a\\n"]', "invalid escape (only \\\", \\' and \\\\) at offset 4"],
    ["$..*", "'..*' is not supported; use '..name' at offset 3"],
    ["$..[0]", "expected a quoted name after '..[' at offset 4"],
  ])("refuses %j with the offset", (path, message) => {
    const answer = run("{}", { "x-op": "first", "x-path": path });
    expect(answer.status).toBe(400);
    expect(answer.text).toBe(message);
  });

  it("reads quoted names with escapes, names with dashes and $", () => {
    const document = '{"odd key.with dots":{"it\'s":1},"x-trace":[5],"$ref":"r"}';
    expect(run(document, { "x-op": "first", "x-path": `$["odd key.with dots"]['it\\'s']` }).text).toBe("1");
    expect(run(document, { "x-op": "first", "x-path": "$.x-trace[0]" }).text).toBe("5");
    expect(run(document, { "x-op": "first", "x-path": "$.$ref" }).text).toBe('"r"');
  });
});

describe("JsonPath matching", () => {
  it("matches members, items and wildcards over arrays and objects, in document order", () => {
    const answer = run(bank, { "x-op": "matches", "x-path": "$.accounts[*].number" });
    expect(JSON.parse(answer.text)).toEqual([
      ["number", "12345678"],
      ["number", 987654321012],
    ]);
    expect(JSON.parse(run(bank, { "x-op": "matches", "x-path": "$.owner.*" }).text)).toEqual([
      ["name", "Ada"],
      ["iban", "DE89370400440532013000"],
    ]);
    expect(JSON.parse(run(bank, { "x-op": "matches", "x-path": "$.accounts[1]" }).text)[0][0]).toBe(1);
    expect(run(bank, { "x-op": "first", "x-path": "$.accounts[2]" }).text).toBe("none");
    expect(run(bank, { "x-op": "first", "x-path": "$.owner[0]" }).text).toBe("none");
    expect(run(bank, { "x-op": "first", "x-path": "$" }).text).toBe(run(bank, { "x-op": "round-trip" }).text);
  });

  it("finds a name at any depth with '..', including inside matches", () => {
    const answer = run(bank, { "x-op": "matches", "x-path": "$..iban" });
    expect(JSON.parse(answer.text).map((m: unknown[]) => m[1])).toEqual(["DE89370400440532013000", "GB29NWBK60161331926819", "FR1420041010050500013M02606"]);
    const nested = run('{"a":{"a":{"a":1}}}', { "x-op": "matches", "x-path": "$..a..a" });
    expect(JSON.parse(nested.text)).toEqual([
      ["a", { a: 1 }],
      ["a", 1],
    ]);
  });
});

describe("JsonPath edits", () => {
  it("sets members, creating missing objects, and items in range only", () => {
    const set = run('{"a":{}}', { "x-op": "set", "x-path": "$.a.b.c", "x-value": "[1,2]" });
    expect(set.text).toBe('{"a":{"b":{"c":[1,2]}}}');
    expect(set.headers["x-count"]).toBe("1");
    expect(run("[1,2]", { "x-op": "set", "x-path": "$[1]", "x-value": "9" }).text).toBe("[1,9]");
    const outOfRange = run("[1,2]", { "x-op": "set", "x-path": "$[5]", "x-value": "9" });
    expect([outOfRange.text, outOfRange.headers["x-count"]]).toEqual(["[1,2]", "0"]);
    const notObject = run('{"a":"text"}', { "x-op": "set", "x-path": "$.a.b", "x-value": "1" });
    expect([notObject.text, notObject.headers["x-count"]]).toEqual(['{"a":"text"}', "0"]);
    expect(run("{}", { "x-op": "set", "x-path": "$", "x-value": "1" }).headers["x-count"]).toBe("0");
  });

  it("sets through wildcards, with an independent copy in each place", () => {
    const answer = run('{"items":[{"id":1},{"id":2},"skip"]}', { "x-op": "set", "x-path": "$.items[*].tags", "x-value": '{"t":[]}' });
    expect(answer.text).toBe('{"items":[{"id":1,"tags":{"t":[]}},{"id":2,"tags":{"t":[]}},"skip"]}');
    expect(answer.headers["x-count"]).toBe("2");
    expect(run('{"a":[1,2]}', { "x-op": "set", "x-path": "$.a[*]", "x-value": "0" }).text).toBe('{"a":[0,0]}');
  });

  it("removes members and several items of one array", () => {
    const answer = run('{"a":[1,{"x":1},3,{"x":2}],"x":0}', { "x-op": "remove", "x-path": "$..x" });
    expect(answer.text).toBe('{"a":[1,{},3,{}]}');
    expect(answer.headers["x-count"]).toBe("3");
    expect(run('{"a":[1,2,3]}', { "x-op": "remove", "x-path": "$.a[*]" }).text).toBe('{"a":[]}');
    expect(run('{"a":[1,2,3]}', { "x-op": "remove", "x-path": "$.a[1]" }).text).toBe('{"a":[1,3]}');
    expect(run('{"a":1}', { "x-op": "remove", "x-path": "$.b" }).headers["x-count"]).toBe("0");
  });

  it("renames members in place, replacing a member that had the new name", () => {
    const answer = run('{"fullName":"Ada","age":3,"name":"old"}', { "x-op": "rename", "x-path": "$.fullName", "x-to": "name" });
    expect(answer.text).toBe('{"name":"Ada","age":3}');
    const items = run('{"items":[{"cost":1},{"cost":2},{}]}', { "x-op": "rename", "x-path": "$.items[*].cost", "x-to": "price" });
    expect([items.text, items.headers["x-count"]]).toEqual(['{"items":[{"price":1},{"price":2},{}]}', "2"]);
    expect(run("[1]", { "x-op": "rename", "x-path": "$[0]", "x-to": "n" }).headers["x-count"]).toBe("0");
  });

  it("replaces each match, never the document itself", () => {
    const answer = run(bank, { "x-op": "replace", "x-path": "$..number", "x-value": '"#"' });
    expect(JSON.parse(answer.text).accounts.map((a: { number: string }) => a.number)).toEqual(["#", "#"]);
    expect(answer.text).toContain('"balance":1.10,');
    expect(answer.text).toContain('"balance":12345678901234567890,');
    expect(run("{}", { "x-op": "replace", "x-path": "$", "x-value": "1" }).headers["x-count"]).toBe("0");
  });

  it("says whether a path is the root and which name it ends with", () => {
    expect(run("{}", { "x-op": "remove", "x-path": "$" }).headers).toMatchObject({ "x-root": "true", "x-last-name": "" });
    expect(run("{}", { "x-op": "remove", "x-path": "$.a..b" }).headers).toMatchObject({ "x-root": "false", "x-last-name": "b" });
    expect(run("{}", { "x-op": "remove", "x-path": "$.a[*]" }).headers["x-last-name"]).toBe("");
  });
});
