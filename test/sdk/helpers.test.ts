import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { fakeExpressions, loadPolicy, type RequestInput, type TestPolicy } from "../../sdk/src/testing/index.js";
import { buildFixture } from "./support/fixtures.js";

// The SDK helpers (base64, query, cookies, wire checks, IP, UTF-8, dynamic values) driven through the
// toolkit fixture, with Node's own parsers as the oracle wherever Node has one.

let wasmPath: string;
let policy: TestPolicy;

beforeAll(async () => {
  wasmPath = (await buildFixture("toolkit")).wasmPath;
  policy = await loadPolicy(wasmPath, { config: { trustedProxies: ["10.0.0.0/8", "fd00::/8"] } });
});

/** The JSON answer of one helper call. */
function run(op: string, arg: string, input: RequestInput = {}, target: TestPolicy = policy): Record<string, unknown> {
  const headers: [string, string][] = [
    ["x-op", op],
    ["x-arg", arg],
  ];
  const extra = Array.isArray(input.headers) ? input.headers : Object.entries(input.headers ?? {});
  const result = target.onRequest({ ...input, headers: [...headers, ...extra] });
  if (result.tag !== "ok" || result.val.tag !== "respond") throw new Error(JSON.stringify(result));
  return JSON.parse(Buffer.from(result.val.val.body).toString("utf8")) as Record<string, unknown>;
}

const hex = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString("hex");

describe("Base64 and Base64Url", () => {
  it("round-trips every length from 0 to 40 bytes, matching Node's encoders", () => {
    for (let length = 0; length <= 40; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 97 + 250) & 0xff));
      const encoded = run("base64-encode", hex(bytes));
      expect(encoded).toEqual({ standard: bytes.toString("base64"), url: bytes.toString("base64url") });
      expect(run("base64", bytes.toString("base64")).decoded).toBe(hex(bytes));
      expect(run("base64", bytes.toString("base64url")).urlDecoded).toBe(hex(bytes));
    }
  });

  it("refuses padding that is missing, misplaced or extra, and non-zero trailing bits", () => {
    for (const bad of ["QQ", "QQ=", "QQ===", "Q===", "=QQQ", "QQ==QQ==", "QR==", "QUJ=", "QUI", "QU I=", "QUI=\n", "Q\u00e9I="]) {
      expect(run("base64", bad).decoded, bad).toBeNull();
    }
    expect(run("base64", "QQ==").decoded).toBe("41");
    expect(run("base64", "").decoded).toBe("");
  });

  it("keeps the two alphabets apart: base64url refuses + / and =, base64 refuses - and _", () => {
    expect(run("base64", "-_8=")).toEqual({ decoded: null, urlDecoded: null });
    expect(run("base64", "-_8")).toEqual({ decoded: null, urlDecoded: "fbff" });
    expect(run("base64", "+/8=")).toEqual({ decoded: "fbff", urlDecoded: null });
    expect(run("base64", "Q").urlDecoded).toBeNull();
    expect(run("base64", "QR").urlDecoded).toBeNull();
  });
});

describe("Hex", () => {
  it("encodes lower-case and decodes either case, matching Node", () => {
    for (let length = 0; length <= 33; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 151 + 7) & 0xff));
      expect(run("base64", bytes.toString("base64")).decoded).toBe(hex(bytes)); // Hex.encode of the decoded bytes
      expect(run("hex", hex(bytes))).toEqual({ decoded: hex(bytes), lower: true });
      expect(run("hex", hex(bytes).toUpperCase())).toEqual({ decoded: hex(bytes), lower: length === 0 || !/[a-f]/.test(hex(bytes)) });
    }
  });

  it("refuses odd lengths and non-hex digits", () => {
    for (const bad of ["a", "abc", "0g", "g0", " 0", "0x00", "éé"]) expect(run("hex", bad).decoded, bad).toBeNull();
  });

  it("Crypto.sha256Hex is the hex SHA-256 of the UTF-8 text", () => {
    for (const text of ["", "abc", "café", "key\u0000client"]) {
      expect(run("sha256-hex", text).digest).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    }
  });
});

describe("Request.queryParam and queryParamAll", () => {
  const queries = [
    "a=1&b=2&a=3",
    "name=J%C3%BCrgen+M%C3%BCller&x=%2B%26%3D",
    "pct=100%&bad=%zz%4&tail=%4",
    "key%5Fname=v&key_name=w",
    "empty=&flag&&=orphan",
    "utf=%FF%C3%28&emoji=%F0%9F%98%80",
    "plus=a+b%2Bc",
  ];

  it("decodes names and values exactly as URLSearchParams does (first and all values)", () => {
    for (const query of queries) {
      const oracle = new URLSearchParams(query);
      for (const name of new Set([...oracle.keys(), "absent"])) {
        const answer = run("query", name, { query });
        expect(answer, `${query} / ${name}`).toEqual({ first: oracle.get(name), all: oracle.getAll(name) });
      }
    }
  });
});

describe("Request.cookie", () => {
  const header = ' theme=dark;session="a b; c";  spaced = x y ;flag; quoted="";lone="x; lang=en=GB; Theme=light';

  it("finds cookies across spaces and quotes, exact names, values not decoded", () => {
    const cookie = (name: string, headers: RequestInput["headers"] = { cookie: header }) => run("cookie", name, { headers }).value;
    expect(cookie("theme")).toBe("dark");
    expect(cookie("Theme")).toBe("light");
    expect(cookie("spaced")).toBe("x y");
    expect(cookie("quoted")).toBe("");
    expect(cookie("lone")).toBe('"x');
    expect(cookie("lang")).toBe("en=GB");
    expect(cookie("flag")).toBeNull();
    expect(cookie("session")).toBe('"a b');
    expect(cookie("enc", { cookie: "enc=a%20b" })).toBe("a%20b");
    expect(
      cookie("second", [
        ["cookie", "first=1"],
        ["cookie", "second=2"],
      ]),
    ).toBe("2");
    expect(cookie("theme", {})).toBeNull();
  });
});

describe("Decision.removeQueryParam and removeCookie", () => {
  function edits(params: string, cookies: string, input: RequestInput) {
    const headers: [string, string][] = [
      ["x-op", "remove"],
      ["x-arg", params],
      ["x-arg2", cookies],
    ];
    const extra = Array.isArray(input.headers) ? input.headers : Object.entries(input.headers ?? {});
    const result = policy.onRequest({ ...input, headers: [...headers, ...extra] });
    if (result.tag !== "ok" || result.val.tag !== "continue") throw new Error(JSON.stringify(result));
    return result.val.val;
  }

  it("drops every spelling of the parameter and keeps the others byte for byte", () => {
    expect(edits("token", "", { query: "a=%41+b&token=1&TOKEN=2&t%6Fken=3&token&c=%zz&&d" }).query).toBe("a=%41+b&TOKEN=2&c=%zz&&d");
    expect(edits("token,c", "", { query: "token=1&c=2" }).query).toBe("");
    expect(edits("absent", "", { query: "a=1" }).query).toBeUndefined();
    expect(edits("x", "", { query: "a=1&x=2", headers: { "x-set-query": "x=9&b=2" } }).query).toBe("b=2");
  });

  it("rewrites only the Cookie headers that held the cookie, removing one left empty", () => {
    const cookies: [string, string][] = [
      ["cookie", 'a=1;  sid=secret ;b="q r"'],
      ["cookie", "sid=again"],
      ["cookie", "c=3"],
    ];
    expect(edits("", "sid", { headers: cookies }).headers).toEqual([
      { tag: "remove", val: "cookie" },
      { tag: "append", val: { name: "cookie", value: 'a=1; b="q r"' } },
      { tag: "append", val: { name: "cookie", value: "c=3" } },
    ]);
    expect(edits("", "other", { headers: cookies }).headers).toEqual([]);
    expect(edits("", "sid", { headers: { cookie: "sid=1" } }).headers).toEqual([{ tag: "remove", val: "cookie" }]);
  });
});

describe("Wire", () => {
  it("checks tokens, header values and framing header names", () => {
    expect(run("wire", "X-Custom_1.~!")).toMatchObject({ token: true, framing: false });
    for (const bad of ["", "a b", "a:b", "é", "a\u0100"]) expect(run("wire", bad).token, bad).toBe(false);
    expect(run("wire", "tab\there é").value).toBe(true);
    for (const bad of ["a\r\nb", "nul\u0000", "del\u007f", "wide\u0100"]) expect(run("wire", bad).value, bad).toBe(false);
    expect(run("wire", "Transfer-Encoding").framing).toBe(true);
  });
});

describe("IpAddress, CidrRange and CidrList", () => {
  it("parses IPv4 and the IPv6 forms; refuses the malformed ones", () => {
    expect(run("ip", "192.0.2.1")).toEqual({ address: "192.0.2.1", ipv4: true });
    expect(run("ip", "::ffff:192.0.2.1")).toEqual({ address: "192.0.2.1", ipv4: true });
    expect(run("ip", "2001:DB8::1")).toEqual({ address: "2001:db8:0:0:0:0:0:1", ipv4: false });
    expect(run("ip", "::")).toEqual({ address: "0:0:0:0:0:0:0:0", ipv4: false });
    expect(run("ip", "::1").address).toBe("0:0:0:0:0:0:0:1");
    expect(run("ip", "1::").address).toBe("1:0:0:0:0:0:0:0");
    expect(run("ip", "64:ff9b::198.51.100.7").address).toBe("64:ff9b:0:0:0:0:c633:6407");
    expect(run("ip", "1:2:3:4:5:6:7:8").address).toBe("1:2:3:4:5:6:7:8");
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "01.2.3.4",
      "256.1.1.1",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8",
      "12345::",
      "fe80::1%eth0",
      "[::1]",
      ":1",
      "::g",
    ]) {
      expect(run("ip", bad).address, bad).toBeNull();
    }
  });

  it("matches CIDR ranges of both families and refuses host bits and bad prefixes", () => {
    expect(run("cidr", "10.0.0.0/8", { headers: { "x-arg2": "10.255.0.1" } })).toEqual({ error: "", contains: true });
    expect(run("cidr", "10.0.0.0/8", { headers: { "x-arg2": "::ffff:10.1.2.3" } }).contains).toBe(true);
    expect(run("cidr", "10.0.0.0/8", { headers: { "x-arg2": "11.0.0.1" } }).contains).toBe(false);
    expect(run("cidr", "2001:db8::/33", { headers: { "x-arg2": "2001:db8:7fff::1" } }).contains).toBe(true);
    expect(run("cidr", "2001:db8::/33", { headers: { "x-arg2": "2001:db8:8000::1" } }).contains).toBe(false);
    expect(run("cidr", "0.0.0.0/0", { headers: { "x-arg2": "2001:db8::1" } }).contains).toBe(false);
    expect(run("cidr", "::/0", { headers: { "x-arg2": "203.0.113.9" } }).contains).toBe(true);
    expect(run("cidr", "192.0.2.7", { headers: { "x-arg2": "192.0.2.7" } }).contains).toBe(true);
    expect(run("cidr", "10.0.0.1/8").error).toBe("has host bits set after the prefix length");
    expect(run("cidr", "10.0.0.0/33").error).toBe("has a prefix length above 32");
    expect(run("cidr", "10.0.0.0/").error).toBe("has an invalid prefix length");
    expect(run("cidr", "nope/8").error).toBe("is not an IPv4 or IPv6 address or CIDR range");
  });

  it("walks X-Forwarded-For from the right through trusted proxies only", () => {
    const client = (clientAddress: string, xff?: string[]) =>
      run("client", "", { clientAddress, headers: (xff ?? []).map((v): [string, string] => ["x-forwarded-for", v]) }).client;
    expect(client("203.0.113.5", ["1.1.1.1"])).toBe("203.0.113.5");
    expect(client("10.0.0.2", ["6.6.6.6, 198.51.100.4, 10.0.0.9"])).toBe("198.51.100.4");
    expect(client("fd00::1", ["6.6.6.6", "198.51.100.4"])).toBe("198.51.100.4");
    expect(client("10.0.0.2", ["not-an-ip, 198.51.100.4"])).toBe("198.51.100.4");
    expect(client("10.0.0.2", ["198.51.100.4, garbage"])).toBeNull();
    expect(client("10.0.0.2", [])).toBe("10.0.0.2");
  });

  it("reports a bad entry of a configured list by its index", async () => {
    const fresh = await loadPolicy(wasmPath, { init: false });
    expect(fresh.init({ trustedProxies: ["10.0.0.0/8", "10.0.0.1/8"] })).toEqual({
      tag: "err",
      val: { tag: "invalid-value", val: { path: "/trustedProxies/1", message: '"10.0.0.1/8" has host bits set after the prefix length' } },
    });
  });
});

describe("Utf8", () => {
  it("replaces invalid sequences as TextDecoder does, and refuses them when strict", () => {
    const samples = ["", "41", "c3a9", "f09f9880", "ff", "c328", "e282", "e28228", "eda080", "f4908080", "c0af", "f0908081ff41", "efbfbd"];
    for (const sample of samples) {
      const bytes = Buffer.from(sample, "hex");
      const lossy = new TextDecoder().decode(bytes);
      let strict: string | null = null;
      try {
        strict = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        strict = null;
      }
      expect(run("utf8", sample), sample).toEqual({ lossy, strict });
    }
  });
});

describe("DynamicValue", () => {
  it("reads a literal or an expression, and reports an expression that does not compile", async () => {
    expect(run("value", "", {}, await loadPolicy(wasmPath, { config: { value: "plain ${text}" } })).text).toBe("plain ${text}");
    const expressions = fakeExpressions({ "request.path": '"/p"', "size(request.path)": "2", missing: "null" });
    const evaluated = (source: string) => loadPolicy(wasmPath, { config: { value: { expression: source } }, capabilities: { expression: expressions } });
    expect(run("value", "", {}, await evaluated("request.path")).text).toBe("/p");
    expect(run("value", "", {}, await evaluated("size(request.path)")).text).toBe("2");
    expect(run("value", "", {}, await evaluated("missing")).text).toBeNull();
    expect(run("value", "", {}, await evaluated("unknown")).text).toBeNull();
    const broken = await loadPolicy(wasmPath, { init: false, capabilities: { expression: fakeExpressions({}, (s) => s === "(((") } });
    expect(broken.init({ value: { expression: "(((" } })).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path: "/value/expression" } } });
    const typo = await loadPolicy(wasmPath, { init: false });
    expect(typo.init({ value: { expresion: "x" } })).toMatchObject({ tag: "err", val: { tag: "invalid-value", val: { path: "/value/expression" } } });
  });
});
