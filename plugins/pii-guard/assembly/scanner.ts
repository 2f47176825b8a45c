// Runs the enabled detectors over strings and masks what they found.
import { Regex } from "@portcullis/sdk";
import { isAlnum, isDigit, isNonAsciiLetter, isUpper, startsToken } from "./chars";
import { ibanChecks, ibanShapeEnd, matchCard, matchEmail, matchPhone, matchSsn } from "./detectors";
import { isJoinable, searchRegex } from "./regex-search";
import { ShapePattern } from "./shape-pattern";

export enum Action {
  Block,
  Mask,
  Log,
}

/** One kind of data the operator asked for, and what to do when it is found. */
export class Rule {
  /** Whether the regex can be searched over many texts joined (see regex-search.ts). */
  readonly joinable: bool;

  constructor(
    public readonly kind: string,
    public readonly code: string,
    public readonly description: string,
    public readonly action: Action,
    public readonly shape: ShapePattern | null = null,
    public readonly regex: Regex | null = null,
  ) {
    this.joinable = regex !== null && isJoinable(regex.pattern);
  }
}

export class Finding {
  constructor(public readonly rule: Rule, public readonly start: i32, public readonly end: i32) {}
}

/** The fewest characters of an IBAN (Norway's), and the fewest digits of a phone number, an SSN or a card. */
const MIN_IBAN_LENGTH = 15;
const MIN_DIGITS = 8;

/** Shared, never written: what `emails` answers for a text without `@` (most of them). */
const NO_FINDINGS = new Array<Finding>();

export class Scanner {
  ssn: Rule | null = null;
  card: Rule | null = null;
  email: Rule | null = null;
  phone: Rule | null = null;
  iban: Rule | null = null;
  patterns: Array<Rule> = [];
  regexes: Array<Rule> = [];
  /** Set by `matchAt` when it found nothing but the text from `i` to here must not be searched further. */
  private skipTo: i32 = 0;

  /** The findings of each text, in order of where they start; regex matches may overlap others. */
  scanAll(texts: Array<string>): Array<Array<Finding>> {
    const found = new Array<Array<Finding>>(texts.length);
    for (let i = 0; i < texts.length; i++) found[i] = this.scan(texts[i]);
    if (this.regexes.length == 0) return found;
    const before = new Array<i32>(texts.length);
    for (let i = 0; i < texts.length; i++) before[i] = found[i].length;
    for (let r = 0; r < this.regexes.length; r++) searchRegex(this.regexes[r], texts, found);
    for (let i = 0; i < texts.length; i++) {
      if (found[i].length != before[i]) found[i].sort((a, b) => a.start != b.start ? a.start - b.start : a.end - b.end);
    }
    return found;
  }

  /**
   * Every match of the built-in detectors and shapes in `s`, in order; these never overlap. Most texts have
   * none: they share one empty array (unless regexes will append to it) instead of allocating their own.
   */
  scan(s: string): Array<Finding> {
    let found = this.regexes.length > 0 ? new Array<Finding>() : NO_FINDINGS;
    const emails = this.emails(s);
    let next = 0;
    let i = 0;
    while (i < s.length) {
      while (next < emails.length && emails[next].end <= i) found = appended(found, emails[next++]);
      if (next < emails.length && emails[next].start <= i) {
        i = emails[next].end;
        continue;
      }
      if (this.mayStart(s.charCodeAt(i)) && startsToken(s, i)) {
        const finding = this.matchAt(s, i);
        if (finding !== null) {
          found = appended(found, finding);
          i = finding.end;
          while (next < emails.length && emails[next].start < i) next++;
          continue;
        }
        if (this.skipTo > i) {
          i = this.skipTo;
          continue;
        }
      }
      if (!isAlnum(s.charCodeAt(i))) i++;
      else while (i < s.length && isAlnum(s.charCodeAt(i))) i++;
    }
    while (next < emails.length) found = appended(found, emails[next++]);
    return found;
  }

  /**
   * False when `s[from, to)` cannot hold a finding: a cheap filter run before a JSON string value is copied
   * out of the document, since most values are short words and ids. Without operator patterns, a finding
   * needs an "@" (e-mail), 8 or more digits (SSN, card, phone) or 15 or more characters (IBAN).
   */
  mayHold(s: string, from: i32, to: i32): bool {
    if (this.patterns.length > 0 || this.regexes.length > 0 || (this.iban !== null && to - from >= MIN_IBAN_LENGTH)) return true;
    const digitsCount = this.ssn !== null || this.card !== null || this.phone !== null;
    let digits = 0;
    for (let k = from; k < to; k++) {
      const c = s.charCodeAt(k);
      if (isDigit(c)) digits++;
      else if (c == 0x40 && this.email !== null) return true;
    }
    return digitsCount && digits >= MIN_DIGITS;
  }

  /** A JSON number that is a payment card number (digits only). */
  isCardNumber(text: string): bool {
    return this.card !== null && text.length >= 13 && matchCard(text, 0) == text.length;
  }

  private emails(s: string): Array<Finding> {
    const rule = this.email;
    let at = rule === null ? -1 : s.indexOf("@");
    if (at < 0) return NO_FINDINGS;
    const found = new Array<Finding>();
    while (at >= 0) {
      const span = matchEmail(s, at);
      if (span !== null && (found.length == 0 || found[found.length - 1].end <= span[0])) found.push(new Finding(rule!, span[0], span[1]));
      at = s.indexOf("@", at + 1);
    }
    return found;
  }

  /** A cheap filter before `matchAt`: built-in matches start with a digit, "+", "(" or an upper-case letter. */
  private mayStart(c: i32): bool {
    return this.patterns.length > 0 || isDigit(c) || c == 0x2b || c == 0x28 || isUpper(c);
  }

  /** Operator patterns first, then the built-in detectors. */
  private matchAt(s: string, i: i32): Finding | null {
    this.skipTo = 0;
    for (let k = 0; k < this.patterns.length; k++) {
      const rule = this.patterns[k];
      const end = rule.shape!.matchAt(s, i);
      if (end > i) return new Finding(rule, i, end);
    }
    if (isUpper(s.charCodeAt(i))) {
      // An IBAN-shaped token is an IBAN or nothing: no card or phone number is looked for inside it.
      const end = ibanShapeEnd(s, i);
      if (end < 0) return null;
      this.skipTo = end;
      const iban = this.iban;
      return iban !== null && ibanChecks(s, i, end) ? new Finding(iban, i, end) : null;
    }
    let finding = tryRule(this.ssn, s, i, 0);
    if (finding === null) finding = tryRule(this.card, s, i, 1);
    if (finding === null) finding = tryRule(this.phone, s, i, 2);
    return finding;
  }
}

/** `found` with `finding` added, allocating an array of its own when `found` is the shared empty one. */
function appended(found: Array<Finding>, finding: Finding): Array<Finding> {
  if (found === NO_FINDINGS) found = new Array<Finding>();
  found.push(finding);
  return found;
}

function tryRule(rule: Rule | null, s: string, i: i32, detector: i32): Finding | null {
  if (rule === null) return null;
  const end = detector == 0 ? matchSsn(s, i) : detector == 1 ? matchCard(s, i) : matchPhone(s, i);
  return end > i ? new Finding(rule, i, end) : null;
}

/**
 * `s` with every letter and digit of each masking finding replaced by `maskChar`; other characters kept.
 * Findings are in order of where they start and may overlap.
 */
export function masked(s: string, findings: Array<Finding>, maskChar: string): string {
  const parts = new Array<string>();
  const maskCode = maskChar.charCodeAt(0);
  let copied = 0;
  for (let f = 0; f < findings.length; f++) {
    const finding = findings[f];
    if (finding.rule.action != Action.Mask || finding.end <= copied) continue;
    if (finding.start > copied) parts.push(s.substring(copied, finding.start));
    const codes = new Array<i32>();
    for (let k = max(copied, finding.start); k < finding.end; k++) {
      const c = s.charCodeAt(k);
      codes.push(isAlnum(c) || isNonAsciiLetter(c) ? maskCode : c);
    }
    parts.push(String.fromCharCodes(codes));
    copied = finding.end;
  }
  parts.push(s.substring(copied));
  return parts.join("");
}
