// ASCII character classes and the token boundaries every detector uses.

export function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

export function isUpper(c: i32): bool {
  return c >= 0x41 && c <= 0x5a;
}

export function isLetter(c: i32): bool {
  return isUpper(c) || (c >= 0x61 && c <= 0x7a);
}

export function isAlnum(c: i32): bool {
  return isDigit(c) || isLetter(c);
}

/**
 * A letter of another script, approximately: a UTF-16 unit from U+00C0 on that is not in a block of
 * punctuation, symbols or spaces, nor half of a surrogate pair (emoji). Enough for internationalised
 * domain names (`пример.рф`, `bücher.de`); masking treats these as letters too.
 */
export function isNonAsciiLetter(c: i32): bool {
  if (c < 0xc0 || c == 0xd7 || c == 0xf7) return false;
  return !((c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xd800 && c <= 0xdfff) || (c >= 0xfe10 && c <= 0xfe6f) || (c >= 0xff00 && c <= 0xff20));
}

/** Joiners that make a run of digits part of a longer identifier (`INV-123-45-6789`, `v1_2`, `a/b`). */
function isJoiner(c: i32): bool {
  return c == 0x2d || c == 0x5f || c == 0x2f;
}

/**
 * A match may start at `i` when nothing identifier-like touches it on the left: not a letter, digit or
 * joiner, and not a "." or "," right after a digit (`1.123-45-6789`).
 */
export function startsToken(s: string, i: i32): bool {
  if (i == 0) return true;
  const c = s.charCodeAt(i - 1);
  if (isAlnum(c) || isJoiner(c)) return false;
  return !((c == 0x2e || c == 0x2c) && i >= 2 && isDigit(s.charCodeAt(i - 2)));
}

/** A match may end at `end` (exclusive) under the same rule on the right (`123-45-6789.5` does not end). */
export function endsToken(s: string, end: i32): bool {
  if (end >= s.length) return true;
  const c = s.charCodeAt(end);
  if (isAlnum(c) || isJoiner(c)) return false;
  return !((c == 0x2e || c == 0x2c) && end + 1 < s.length && isDigit(s.charCodeAt(end + 1)));
}

/** Number of consecutive digits from `i`. */
export function digitRun(s: string, i: i32): i32 {
  let n = 0;
  while (i + n < s.length && isDigit(s.charCodeAt(i + n))) n++;
  return n;
}

/** The value of `count` digits from `i`. */
export function digitsValue(s: string, i: i32, count: i32): i32 {
  let value = 0;
  for (let k = 0; k < count; k++) value = value * 10 + (s.charCodeAt(i + k) - 0x30);
  return value;
}
