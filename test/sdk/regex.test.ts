import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicy, type TestPolicy } from "../../sdk/src/testing/index.js";
import { buildFixture } from "./support/fixtures.js";

let policy: TestPolicy;

beforeAll(async () => {
  policy = await loadPolicy((await buildFixture("regex")).wasmPath);
});

/** Runs one operation of the regex fixture; answers status and body text. */
function run(op: string, pattern: string, body: string, extra: Record<string, string> = {}): { status: number; text: string } {
  const result = policy.onRequest({ headers: { "x-op": op, "x-pattern": pattern, ...extra }, body });
  if (result.tag !== "ok" || result.val.tag !== "respond") throw new Error(JSON.stringify(result));
  return { status: result.val.val.status, text: new TextDecoder().decode(result.val.val.body) };
}

describe("Regex (SDK wrapper over the regex capability, through a component)", () => {
  it("finds matches with UTF-8 byte positions and optional groups", () => {
    const answer = run("find", "(?P<word>é+)(x)?", "ab ééé c éé x");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual([
      [3, 9, "ééé", ["ééé", null]],
      [12, 16, "éé", ["éé", null]],
    ]);
  });

  it("searches bytes directly and honours max", () => {
    expect(JSON.parse(run("find-bytes", "\\d+", "a1 b22 c333", { "x-max": "2" }).text)).toEqual([
      [1, 2, "1", []],
      [4, 6, "22", []],
    ]);
  });

  it("skips an empty match right after a match, as RE2 does", () => {
    expect(JSON.parse(run("find", "x*", "xab").text).map((m: unknown[]) => [m[0], m[1]])).toEqual([
      [0, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it("applies flags", () => {
    expect(run("test", "^ABC$", "x\nabc", { "x-flags": "im" }).text).toBe("true");
    expect(run("test", "^ABC$", "x\nabc", { "x-flags": "i" }).text).toBe("false");
    expect(run("test", "a.b", "a\nb", { "x-flags": "s" }).text).toBe("true");
    expect(run("test", "a.b", "a\nb").text).toBe("false");
  });

  it("replaces with numbered and named groups and $$", () => {
    const answer = run("replace", "^/api/v1/(?P<rest>.*)$", "/api/v1/users/42", { "x-replacement": "/v2/${rest}?$$=$1" });
    expect(answer).toEqual({ status: 200, text: "/v2/users/42?$=users/42" });
  });

  it("reports a bad pattern and a bad replacement, even when nothing matches", () => {
    const bad = run("test", "(?=x)", "x");
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^invalid pattern: .*\(\?=/);
    expect(run("check", "(a)", "", { "x-replacement": "$2" }).text).toMatch(/^invalid replacement: the pattern has no group "2"/);
    expect(run("check", "(?P<n>a)", "", { "x-replacement": "${m}" }).text).toMatch(/no group "m"/);
    expect(run("check", "(a)", "", { "x-replacement": "cost $ 5" }).text).toMatch(/starts no group reference/);
    expect(run("check", "(?P<n>a)", "", { "x-replacement": "${n}$1$0$$" }).text).toBe("ok");
  });

  it("answers too-large above 1 MiB instead of searching", () => {
    const answer = run("test", "a", "b".repeat(1024 * 1024 + 1));
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(/^too large: the text has 1048577 bytes/);
  });
});
