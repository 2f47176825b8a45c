// The built-in detectors. Each `match*` tries a match starting at `i` (already a token start) and returns
// where it ends, or -1. They are deliberately strict: separators must be consistent, and every candidate
// is validated (SSA ranges, Luhn, IBAN length and mod-97), so look-alikes pass.
import { digitRun, digitsValue, endsToken, isAlnum, isDigit, isLetter, isNonAsciiLetter, isUpper, startsToken } from "./chars";
import { ibanLength } from "./iban-countries";

/** `AAA-GG-SSSS` or `AAA GG SSSS`: area not 000, 666 or 9xx, group not 00, serial not 0000. Bare 9 digits are not matched. */
export function matchSsn(s: string, i: i32): i32 {
  if (i + 11 > s.length || digitRun(s, i) != 3 || digitRun(s, i + 4) != 2 || digitRun(s, i + 7) != 4) return -1;
  const separator = s.charCodeAt(i + 3);
  if ((separator != 0x2d && separator != 0x20) || s.charCodeAt(i + 6) != separator) return -1;
  const area = digitsValue(s, i, 3);
  if (area == 0 || area == 666 || area >= 900 || digitsValue(s, i + 4, 2) == 0 || digitsValue(s, i + 7, 4) == 0) return -1;
  return endsToken(s, i + 11) ? i + 11 : -1;
}

/**
 * 13 to 19 digits starting with 2-6 (the card networks' ranges), either contiguous or in groups of 3 to 6
 * separated by single spaces or single dashes (one kind), not all the same digit, passing the Luhn check.
 * Digits may follow after a separator (a CVV, an expiry, another number): the longest run of groups that
 * is a card wins, so `4111111111111111 123` is a card followed by other digits.
 */
export function matchCard(s: string, i: i32): i32 {
  const first = s.charCodeAt(i);
  if (first < 0x32 || first > 0x36) return -1;
  let digits = 0;
  let end = i;
  let separator = 0;
  let groups = 0;
  let shortGroup = false;
  let card = -1;
  while (digits <= 19) {
    const run = digitRun(s, end);
    if (run == 0) break;
    digits += run;
    groups++;
    if (run < 3 || run > 6) shortGroup = true;
    end += run;
    const next = end < s.length ? s.charCodeAt(end) : 0;
    const followed = next == separator || (separator == 0 && (next == 0x20 || next == 0x2d));
    const more = followed && end + 1 < s.length && isDigit(s.charCodeAt(end + 1));
    if (digits >= 13 && digits <= 19 && (groups == 1 || !shortGroup) && (more || endsToken(s, end)) && luhnValid(s, i, end)) card = end;
    if (!more || (groups > 1 && shortGroup)) break;
    separator = next;
    end++;
  }
  return card;
}

function luhnValid(s: string, from: i32, to: i32): bool {
  let sum = 0;
  let double = false;
  let allSame = true;
  const firstDigit = s.charCodeAt(from);
  for (let k = to - 1; k >= from; k--) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) continue;
    if (c != firstDigit) allSame = false;
    let d = c - 0x30;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return !allSame && sum % 10 == 0;
}

/**
 * Phone numbers, conservatively: international `+` and 8 to 15 digits (E.164), in groups split by single
 * spaces, dashes or dots (after the country code any, then one kind), with at most one group in parentheses (`+44 (20) 7123 4567`, `+44 (0)20 7123 4567`);
 * and the North American formats `(415) 555-2671`, `(415)555-2671`, `(415) 555 2671`, `415-555-2671`, `415.555.2671`,
 * `415 555 2671` (area and exchange starting with 2-9), also after a country code of 1 to 3 digits
 * (`1-415-555-2671`, `91-415-555-2671`).
 */
export function matchPhone(s: string, i: i32): i32 {
  const c = s.charCodeAt(i);
  if (c == 0x2b) return matchInternational(s, i);
  if (c == 0x28) {
    if (i + 13 > s.length || s.charCodeAt(i + 4) != 0x29) return -1;
    const exchange = s.charCodeAt(i + 5) == 0x20 ? i + 6 : i + 5;
    return exchange + 3 < s.length ? matchNorthAmerican(s, i + 1, exchange, s.charCodeAt(exchange + 3)) : -1;
  }
  const country = digitRun(s, i);
  if (country >= 1 && country <= 3 && i + country + 13 <= s.length) {
    const separator = s.charCodeAt(i + country);
    if (separator == 0x2d || separator == 0x2e) {
      const end = matchNorthAmerican(s, i + country + 1, i + country + 5, separator);
      if (end > 0 && s.charCodeAt(i + country + 4) == separator) return end;
    }
  }
  if (i + 12 > s.length) return -1;
  const separator = s.charCodeAt(i + 3);
  if (separator != 0x2d && separator != 0x2e && separator != 0x20) return -1;
  return matchNorthAmerican(s, i, i + 4, separator);
}

function matchNorthAmerican(s: string, area: i32, exchange: i32, separator: i32): i32 {
  if (!isPhoneSeparator(separator) || digitRun(s, area) != 3 || digitRun(s, exchange) != 3 || exchange + 8 > s.length) return -1;
  if (s.charCodeAt(exchange + 3) != separator || digitRun(s, exchange + 4) != 4) return -1;
  if (s.charCodeAt(area) < 0x32 || s.charCodeAt(exchange) < 0x32) return -1;
  return endsToken(s, exchange + 8) ? exchange + 8 : -1;
}

function isPhoneSeparator(c: i32): bool {
  return c == 0x20 || c == 0x2d || c == 0x2e;
}

function matchInternational(s: string, i: i32): i32 {
  if (i + 1 >= s.length || !isDigit(s.charCodeAt(i + 1)) || s.charCodeAt(i + 1) == 0x30) return -1;
  let end = i + 1;
  let digits = 0;
  let parenthesised = false;
  let matched = end;
  let groups = 0;
  let separator = 0;
  while (true) {
    // A group: digits, or (once, not first) digits in parentheses, maybe glued to the next digits: `(0)20`.
    let inParentheses = false;
    if (end < s.length && s.charCodeAt(end) == 0x28 && digits > 0 && !parenthesised) {
      const run = digitRun(s, end + 1);
      if (run == 0 || run > 4 || end + run + 1 >= s.length || s.charCodeAt(end + run + 1) != 0x29) break;
      digits += run;
      end += run + 2;
      parenthesised = inParentheses = true;
      if (end < s.length && isDigit(s.charCodeAt(end))) inParentheses = false;
    }
    if (!inParentheses) {
      const run = digitRun(s, end);
      if (run == 0) return -1;
      digits += run;
      end += run;
    }
    matched = end;
    groups++;
    // The separator after the country code is free (`+1 415-555-2671`); the later ones are one kind.
    const c = end + 1 < s.length ? s.charCodeAt(end) : 0;
    if (!isPhoneSeparator(c) || (separator != 0 && c != separator)) break;
    if (groups > 1) separator = c;
    const next = s.charCodeAt(end + 1);
    if (!isDigit(next) && !(next == 0x28 && !parenthesised)) break;
    end++;
  }
  if (digits < 8 || digits > 15 || !endsToken(s, matched)) return -1;
  return matched;
}

/**
 * Where an IBAN-shaped token starting at `i` ends, or -1: a country code (upper case) of the registry, two
 * check digits, then the country's length of upper-case letters and digits, contiguous or in groups of four
 * split by single spaces or single dashes (one kind). The check digits are not verified here.
 */
export function ibanShapeEnd(s: string, i: i32): i32 {
  if (i + 4 > s.length || !isUpper(s.charCodeAt(i)) || !isUpper(s.charCodeAt(i + 1))) return -1;
  if (!isDigit(s.charCodeAt(i + 2)) || !isDigit(s.charCodeAt(i + 3))) return -1;
  const length = ibanLength(s, i);
  if (length == 0) return -1;
  let count = 4;
  let end = i + 4;
  const separator = end < s.length ? s.charCodeAt(end) : 0;
  const grouped = separator == 0x20 || separator == 0x2d;
  while (count < length && end < s.length) {
    let c = s.charCodeAt(end);
    if (grouped && count % 4 == 0) {
      if (c != separator) return -1;
      end++;
      if (end >= s.length) return -1;
      c = s.charCodeAt(end);
    }
    if (!isDigit(c) && !isUpper(c)) return -1;
    count++;
    end++;
  }
  return count == length && endsToken(s, end) ? end : -1;
}

/** Whether the IBAN-shaped token [from, to) has the right check digits (mod-97 == 1). */
export function ibanChecks(s: string, from: i32, to: i32): bool {
  return mod97(s, from, to) == 1;
}

/** ISO 13616 check: the first four characters moved to the end, letters as 10..35, the number modulo 97. */
function mod97(s: string, from: i32, to: i32): i32 {
  let remainder = 0;
  for (let pass = 0; pass < 2; pass++) {
    const start = pass == 0 ? from + 4 : from;
    const stop = pass == 0 ? to : from + 4;
    for (let k = start; k < stop; k++) {
      const c = s.charCodeAt(k);
      if (c == 0x20 || c == 0x2d) continue;
      if (isDigit(c)) remainder = (remainder * 10 + (c - 0x30)) % 97;
      else remainder = (remainder * 100 + (c - 0x41 + 10)) % 97;
    }
  }
  return remainder;
}

/**
 * An e-mail address around the "@" at `at`: a local part of letters, digits and `._%+-` (not starting or
 * ending with "."), and a domain of at least two labels whose last is 2+ letters or punycode (`xn--p1ai`).
 * Labels may hold letters of other scripts (`пример.рф`). Image names such as `icon@2x.png` are not
 * addresses. Returns [start, end] or null.
 */
export function matchEmail(s: string, at: i32): Array<i32> | null {
  let start = at;
  while (start > 0 && isLocalChar(s.charCodeAt(start - 1))) start--;
  while (start < at && s.charCodeAt(start) == 0x2e) start++;
  if (start == at || s.charCodeAt(at - 1) == 0x2e || !startsToken(s, start)) return null;
  let end = at + 1;
  let labels = 0;
  let labelStart = end;
  let lastLabelLetters = true;
  while (true) {
    let k = labelStart;
    while (k < s.length && isLabelChar(s.charCodeAt(k))) k++;
    if (k == labelStart || s.charCodeAt(labelStart) == 0x2d || s.charCodeAt(k - 1) == 0x2d) break;
    labels++;
    end = k;
    lastLabelLetters = allLetters(s, labelStart, k) || isPunycode(s, labelStart, k);
    if (k + 1 < s.length && s.charCodeAt(k) == 0x2e && isLabelChar(s.charCodeAt(k + 1))) labelStart = k + 1;
    else break;
  }
  if (labels < 2 || !lastLabelLetters || end - labelStart < 2) return null;
  if (labels == 2 && isRetinaSuffix(s, at + 1)) return null;
  if (end < s.length && (isAlnum(s.charCodeAt(end)) || s.charCodeAt(end) == 0x40)) return null;
  return [start, end];
}

function isLocalChar(c: i32): bool {
  return isAlnum(c) || c == 0x2e || c == 0x5f || c == 0x25 || c == 0x2b || c == 0x2d || isNonAsciiLetter(c);
}

function isLabelChar(c: i32): bool {
  return isAlnum(c) || c == 0x2d || isNonAsciiLetter(c);
}

function allLetters(s: string, from: i32, to: i32): bool {
  for (let k = from; k < to; k++) if (!isLetter(s.charCodeAt(k)) && !isNonAsciiLetter(s.charCodeAt(k))) return false;
  return true;
}

/** `xn--` and at least two more characters (an internationalised label in ASCII), any case. */
function isPunycode(s: string, from: i32, to: i32): bool {
  if (to - from < 6) return false;
  return (s.charCodeAt(from) | 0x20) == 0x78 && (s.charCodeAt(from + 1) | 0x20) == 0x6e && s.charCodeAt(from + 2) == 0x2d && s.charCodeAt(from + 3) == 0x2d;
}

/** `2x`, `3x` right after the "@" (as in `icon@2x.png`). */
function isRetinaSuffix(s: string, i: i32): bool {
  const digits = digitRun(s, i);
  return digits > 0 && i + digits < s.length && s.charCodeAt(i + digits) == 0x78 && s.charCodeAt(i + digits + 1) == 0x2e;
}
