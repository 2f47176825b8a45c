import { describe, expect, it } from "vitest";
import { createCapabilities } from "../../host/src/capabilities/index.js";
import { capabilityGrantsSchema } from "../../host/src/capabilities/grants.js";
import { REGEX_LIMITS } from "../../sdk/src/regex/regex-capability.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const options = { caseInsensitive: false, multiline: false, dotAll: false };

function regexCapability() {
  const regex = createCapabilities({ regex: true }, { policyName: "test", baseDir: "." }).regex;
  if (!regex) throw new Error("regex not granted");
  return regex;
}

describe("regex capability (re2js, linear time)", () => {
  it("is granted by `regex: true` only", () => {
    expect(capabilityGrantsSchema.parse({ regex: true })).toEqual({ regex: true });
    expect(createCapabilities({}, { policyName: "test", baseDir: "." }).regex).toBeUndefined();
  });

  it("keeps handles per instance", () => {
    const a = regexCapability();
    const b = regexCapability();
    const handle = a.compile("x", options);
    expect(handle).toEqual({ tag: "ok", val: 0 });
    expect(b.isMatch(0, bytes("x"))).toEqual({ tag: "err", val: { tag: "unknown-handle", val: 0 } });
    expect(a.isMatch(0, bytes("axb"))).toEqual({ tag: "ok", val: true });
  });

  it("returns byte spans and undefined for groups that took no part", () => {
    const regex = regexCapability();
    const handle = regex.compile("(\\d+)(-)?", options);
    if (handle.tag === "err") throw new Error("compile");
    expect(regex.findAll(handle.val, bytes("€1 22-"), 10)).toEqual({
      tag: "ok",
      val: [
        { whole: { start: 3, end: 4 }, groups: [{ start: 3, end: 4 }, undefined] },
        {
          whole: { start: 5, end: 8 },
          groups: [
            { start: 5, end: 7 },
            { start: 7, end: 8 },
          ],
        },
      ],
    });
  });

  it("caps the matches of find-all at the host's limit", () => {
    const regex = regexCapability();
    regex.compile("a", options);
    const result = regex.findAll(0, bytes("a".repeat(REGEX_LIMITS.matches + 5)), 1_000_000);
    expect(result.tag === "ok" && result.val.length).toBe(REGEX_LIMITS.matches);
  });

  it("refuses oversized patterns, programs, and pattern counts", () => {
    const regex = regexCapability();
    expect(regex.compile("a".repeat(REGEX_LIMITS.patternLength + 1), options)).toMatchObject({ tag: "err", val: { tag: "invalid-pattern" } });
    const program = regex.compile("(?:ab|cd){1,1000}".repeat(4), options);
    expect(program).toMatchObject({ tag: "err", val: { tag: "invalid-pattern", val: expect.stringMatching(/instructions/) } });
    for (let i = 0; i < REGEX_LIMITS.patterns; i++) regex.compile("a", options);
    expect(regex.compile("a", options)).toMatchObject({ tag: "err", val: { tag: "invalid-pattern", val: expect.stringMatching(/at most 256/) } });
  });

  it("refuses texts above 1 MiB, and replacements whose result would exceed it", () => {
    const regex = regexCapability();
    regex.compile("", options);
    expect(regex.isMatch(0, new Uint8Array(REGEX_LIMITS.textBytes + 1))).toMatchObject({ tag: "err", val: { tag: "too-large" } });
    expect(regex.replaceAll(0, "a".repeat(1000), "x".repeat(2000))).toMatchObject({ tag: "err", val: { tag: "too-large" } });
  });

  it("runs a pattern that makes backtracking engines explode in linear time", () => {
    const regex = regexCapability();
    expect(regex.compile("^(a+)+$", options)).toEqual({ tag: "ok", val: 0 });
    expect(regex.isMatch(0, bytes(`${"a".repeat(100_000)}!`))).toEqual({ tag: "ok", val: false });
  });

  it("replaces with $n, ${n}, ${name}, $$ and empty unmatched groups", () => {
    const regex = regexCapability();
    regex.compile("(?P<key>\\w+)=(\\d+)?", options);
    expect(regex.replaceAll(0, "a=1 b=", "${key}:$2${2}$$")).toEqual({ tag: "ok", val: "a:11$ b:$" });
    expect(regex.replaceAll(0, "", "$3")).toMatchObject({ tag: "err", val: { tag: "invalid-replacement" } });
    expect(regex.replaceAll(0, "", "${key")).toMatchObject({ tag: "err", val: { tag: "invalid-replacement" } });
  });
});
