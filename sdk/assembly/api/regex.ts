// Regular expressions through the host's `regex` capability (RE2 syntax, linear time: safe on request
// data). Compile in `configure`, match per request. Searched texts travel as UTF-8 and every position
// is a byte offset into those bytes.
import {
  regexCompile, regexFindAll, regexIsMatch, regexReplaceAll, RegexError, RegexErrorTag, RegexMatch, RegexOptions, Span,
} from "../bindings/generated";
import { Utf8 } from "./utf8";

export { RegexError, RegexErrorTag, RegexMatch, Span } from "../bindings/generated";

/** Options of `Regex.compile`; combine with `|`. */
export enum RegexFlags {
  None = 0,
  /** Letters match either case, as `(?i)`. */
  CaseInsensitive = 1,
  /** `^` and `$` also match at line breaks, as `(?m)`. */
  Multiline = 2,
  /** `.` also matches `\n`, as `(?s)`. */
  DotAll = 4,
}

/** Most matches the host returns for one search. */
export const REGEX_MAX_MATCHES: u32 = 10000;

/** A readable message for a regex error. */
export function regexErrorMessage(error: RegexError): string {
  switch (error.tag) {
    case RegexErrorTag.InvalidPattern: return "invalid pattern: " + error.invalidPatternValue!;
    case RegexErrorTag.InvalidReplacement: return "invalid replacement: " + error.invalidReplacementValue!;
    case RegexErrorTag.TooLarge: return "too large: " + error.tooLargeValue!;
    default: return "unknown regex handle " + error.unknownHandleValue.toString();
  }
}

/** The outcome of `Regex.compile`: `regex`, or `error` saying why the pattern does not compile. */
export class RegexCompiled {
  constructor(public regex: Regex | null, public error: string) {}
  get isOk(): bool { return this.regex !== null; }
}

/** The matches of one search, over the UTF-8 `bytes` that were searched; `error` is null on success. */
export class RegexMatches {
  constructor(public bytes: Uint8Array, public matches: Array<RegexMatch>, public error: RegexError | null) {}
  get isOk(): bool { return this.error === null; }
  get length(): i32 { return this.matches.length; }
  /** The text of match `index`. */
  text(index: i32): string { return this.slice(this.matches[index].whole); }
  /** The text of group `group` (1 = the first group) of match `index`; null when the group took no part. */
  group(index: i32, group: i32): string | null {
    const span = this.matches[index].groups[group - 1];
    return span === null ? null : this.slice(span);
  }
  private slice(span: Span): string {
    return Utf8.decode(this.bytes.subarray(<i32>span.start, <i32>span.end));
  }
}

/** The outcome of a boolean test or a replacement: `error` is null on success. */
export class RegexOutcome<T> {
  constructor(public value: T, public error: RegexError | null) {}
  get isOk(): bool { return this.error === null; }
}

/** A pattern compiled by the host. Keep it for the instance's life (at most 256 per instance). */
export class Regex {
  private constructor(public handle: u32, public pattern: string) {}

  /** Compiles an RE2 pattern (named groups as `(?P<name>...)`); patterns up to 4,096 characters. */
  static compile(pattern: string, flags: RegexFlags = RegexFlags.None): RegexCompiled {
    const options = new RegexOptions((flags & RegexFlags.CaseInsensitive) != 0, (flags & RegexFlags.Multiline) != 0, (flags & RegexFlags.DotAll) != 0);
    const result = regexCompile(pattern, options);
    if (!result.isOk) return new RegexCompiled(null, regexErrorMessage(result.err!));
    return new RegexCompiled(new Regex(result.ok, pattern), "");
  }

  /** Whether the pattern matches anywhere in `text` (texts up to 1 MiB of UTF-8). */
  test(text: string): RegexOutcome<bool> { return this.testBytes(Utf8.encode(text)); }

  testBytes(bytes: Uint8Array): RegexOutcome<bool> {
    const result = regexIsMatch(this.handle, bytes);
    return new RegexOutcome<bool>(result.isOk && result.ok, result.err);
  }

  /** The leftmost non-overlapping matches in `text`, at most `max` (and at most 10,000). */
  findAll(text: string, max: u32 = REGEX_MAX_MATCHES): RegexMatches { return this.findAllBytes(Utf8.encode(text), max); }

  /** As `findAll`, over UTF-8 bytes such as a body, without converting them to a string. */
  findAllBytes(bytes: Uint8Array, max: u32 = REGEX_MAX_MATCHES): RegexMatches {
    const result = regexFindAll(this.handle, bytes, max);
    return new RegexMatches(bytes, result.isOk ? result.ok! : new Array<RegexMatch>(), result.err);
  }

  /**
   * `text` with every match replaced: in `replacement`, `$1` or `${1}` is a group (`$0` the whole
   * match), `${name}` a named group, `$$` a literal `$`. On error `value` is `text` unchanged.
   */
  replaceAll(text: string, replacement: string): RegexOutcome<string> {
    const result = regexReplaceAll(this.handle, text, replacement);
    return new RegexOutcome<string>(result.isOk ? result.ok! : text, result.err);
  }

  /** Null when `replacement` is valid for this pattern, else why not (checked even though nothing matches). */
  checkReplacement(replacement: string): string | null {
    const result = regexReplaceAll(this.handle, "", replacement);
    return result.isOk ? null : regexErrorMessage(result.err!);
  }
}
