/**
 * The `regex` capability: RE2 patterns run by re2js in time linear in the input (no backtracking), so
 * patterns are safe on attacker-controlled text. Shared by the gateway's workers and the test harness,
 * so unit tests see the gateway's semantics exactly.
 */
import { createRequire } from "node:module";
import type { Matcher, RE2JS } from "re2js";
import type { Capabilities, RegexError, RegexMatch, RegexOptions, Result } from "../component/types.js";
import { parseReplacement, type TemplatePart } from "./replacement-template.js";

export const REGEX_LIMITS = {
  /** Longest pattern, in characters. */
  patternLength: 4096,
  /** Largest compiled program (re2js `programSize`, about one instruction per literal or class). */
  programSize: 20_000,
  /** Most patterns one plugin instance may compile (they live as long as the instance). */
  patterns: 256,
  /** Longest text searched, in UTF-8 bytes; longer texts answer `too-large`. */
  textBytes: 1024 * 1024,
  /** Most matches `find-all` returns, whatever `max` asks. */
  matches: 10_000,
  /** Parsed replacements kept per pattern. */
  replacements: 64,
} as const;

let engine: typeof RE2JS | undefined;

/**
 * re2js, loaded by the first call rather than with this module, so a gateway worker whose plugins
 * are not granted `regex` never loads it. Synchronous (`require`): policies compile patterns during
 * flows; the gateway calls this before a worker's first flow when some plugin there is granted regex.
 */
export function loadRegexEngine(): typeof RE2JS {
  engine ??= (createRequire(import.meta.url)("re2js") as typeof import("re2js")).RE2JS;
  return engine;
}

interface CompiledPattern {
  readonly re: RE2JS;
  readonly replacements: Map<string, Result<TemplatePart[], RegexError>>;
}

type Regex = Capabilities["regex"];

/** The `regex` capability of one plugin instance: handles index its own compiled patterns. */
export function createRegex(): Regex {
  const patterns: CompiledPattern[] = [];
  const lookup = (handle: number): Result<CompiledPattern, RegexError> => {
    const pattern = patterns[handle];
    return pattern ? { tag: "ok", val: pattern } : { tag: "err", val: { tag: "unknown-handle", val: handle } };
  };
  return {
    compile(source, options) {
      if (patterns.length >= REGEX_LIMITS.patterns) return invalidPattern(`at most ${REGEX_LIMITS.patterns} patterns per plugin instance`);
      const compiled = compilePattern(source, options);
      if (compiled.tag === "err") return compiled;
      patterns.push({ re: compiled.val, replacements: new Map() });
      return { tag: "ok", val: patterns.length - 1 };
    },
    isMatch(handle, text) {
      const pattern = lookup(handle);
      if (pattern.tag === "err") return pattern;
      if (text.byteLength > REGEX_LIMITS.textBytes) return tooLarge(text.byteLength);
      return { tag: "ok", val: pattern.val.re.test(text) };
    },
    findAll(handle, text, max) {
      const pattern = lookup(handle);
      if (pattern.tag === "err") return pattern;
      if (text.byteLength > REGEX_LIMITS.textBytes) return tooLarge(text.byteLength);
      const groupCount = pattern.val.re.groupCount();
      const found: RegexMatch[] = [];
      forEachMatch(pattern.val.re.matcher(text), Math.min(max, REGEX_LIMITS.matches), (matcher) => {
        const groups: RegexMatch["groups"] = [];
        for (let group = 1; group <= groupCount; group++) {
          const start = matcher.start(group);
          groups.push(start < 0 ? undefined : { start, end: matcher.end(group) });
        }
        found.push({ whole: { start: matcher.start(), end: matcher.end() }, groups });
      });
      return { tag: "ok", val: found };
    },
    replaceAll(handle, text, replacement) {
      const pattern = lookup(handle);
      if (pattern.tag === "err") return pattern;
      const template = parsedReplacement(pattern.val, replacement);
      if (template.tag === "err") return template;
      const textBytes = Buffer.byteLength(text, "utf8");
      if (textBytes > REGEX_LIMITS.textBytes) return tooLarge(textBytes);
      let result = "";
      let copied = 0;
      forEachMatch(pattern.val.re.matcher(text), Number.POSITIVE_INFINITY, (matcher) => {
        result += text.slice(copied, matcher.start());
        for (const part of template.val) result += typeof part === "string" ? part : (matcher.group(part) ?? "");
        copied = matcher.end();
        return result.length <= REGEX_LIMITS.textBytes;
      });
      result += text.slice(copied);
      if (result.length > REGEX_LIMITS.textBytes) {
        return { tag: "err", val: { tag: "too-large", val: `the result would exceed ${REGEX_LIMITS.textBytes} characters` } };
      }
      return { tag: "ok", val: result };
    },
  };
}

function compilePattern(source: string, options: RegexOptions): Result<RE2JS, RegexError> {
  if (source.length > REGEX_LIMITS.patternLength) return invalidPattern(`longer than ${REGEX_LIMITS.patternLength} characters`);
  const RE2 = loadRegexEngine();
  const flags = (options.caseInsensitive ? RE2.CASE_INSENSITIVE : 0) | (options.multiline ? RE2.MULTILINE : 0) | (options.dotAll ? RE2.DOTALL : 0);
  let re: RE2JS;
  try {
    re = RE2.compile(source, flags);
  } catch (error) {
    return invalidPattern((error as Error).message);
  }
  if (re.programSize() > REGEX_LIMITS.programSize) {
    return invalidPattern(`compiles to ${re.programSize()} instructions, more than ${REGEX_LIMITS.programSize}`);
  }
  return { tag: "ok", val: re };
}

function parsedReplacement(pattern: CompiledPattern, replacement: string): Result<TemplatePart[], RegexError> {
  let parsed = pattern.replacements.get(replacement);
  if (!parsed) {
    const template = parseReplacement(replacement, pattern.re.groupCount(), pattern.re.namedGroups());
    parsed = template.ok ? { tag: "ok", val: template.parts } : { tag: "err", val: { tag: "invalid-replacement", val: template.problem } };
    if (pattern.replacements.size >= REGEX_LIMITS.replacements) pattern.replacements.clear();
    pattern.replacements.set(replacement, parsed);
  }
  return parsed;
}

/**
 * Visits the leftmost non-overlapping matches as RE2's "all" functions do: an empty match right after
 * the previous match is skipped (re2js's `find` alone would report it, as Java does). Stops after
 * `max` matches or when `visit` returns false.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: callbacks that return nothing mean "go on"
function forEachMatch(matcher: Matcher, max: number, visit: (matcher: Matcher) => boolean | void): void {
  let count = 0;
  let previousEnd = -1;
  while (count < max && matcher.find()) {
    const start = matcher.start();
    const end = matcher.end();
    if (start === end && start === previousEnd) continue;
    previousEnd = end;
    count++;
    if (visit(matcher) === false) return;
  }
}

const invalidPattern = (message: string): { tag: "err"; val: RegexError } => ({ tag: "err", val: { tag: "invalid-pattern", val: message } });
const tooLarge = (bytes: number): { tag: "err"; val: RegexError } => ({
  tag: "err",
  val: { tag: "too-large", val: `the text has ${bytes} bytes, more than ${REGEX_LIMITS.textBytes}` },
});
