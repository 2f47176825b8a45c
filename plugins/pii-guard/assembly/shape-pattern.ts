// Operator-defined patterns: fixed-length shapes matched at token boundaries, like the built-in detectors.
//   #  one digit    @  one letter (A-Z, a-z)    ?  one letter or digit
//   \c the character c itself (\#, \@, \?, \\)    any other character: itself (case-sensitive)
// The guest has no regular-expression engine, and CEL's `matches` only sees the request context, not the
// strings a policy walks; so shapes: small, linear-time, and enough for ids such as `EMP-######`.
import { endsToken, isAlnum, isDigit, isLetter } from "./chars";

const DIGIT = -1;
const LETTER = -2;
const ALNUM = -3;
const MAX_LENGTH = 128;

export class ShapePattern {
  constructor(public readonly slots: Array<i32>) {}

  /** The pattern, or null with the reason in `ShapePattern.lastError`. */
  static parse(text: string): ShapePattern | null {
    const slots = new Array<i32>();
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c == 0x5c) {
        if (++i >= text.length) return fail("ends with a lone \\");
        slots.push(text.charCodeAt(i));
      } else if (c == 0x23) slots.push(DIGIT);
      else if (c == 0x40) slots.push(LETTER);
      else if (c == 0x3f) slots.push(ALNUM);
      else slots.push(c);
    }
    if (slots.length == 0) return fail("is empty");
    if (slots.length > MAX_LENGTH) return fail("is longer than 128 characters");
    lastError = "";
    return new ShapePattern(slots);
  }

  static get lastError(): string {
    return lastError;
  }

  /** The end of a match starting at `i` (a token start), or -1. */
  matchAt(s: string, i: i32): i32 {
    const end = i + this.slots.length;
    if (end > s.length) return -1;
    for (let k = 0; k < this.slots.length; k++) {
      const slot = unchecked(this.slots[k]);
      const c = s.charCodeAt(i + k);
      if (slot == DIGIT ? !isDigit(c) : slot == LETTER ? !isLetter(c) : slot == ALNUM ? !isAlnum(c) : c != slot) return -1;
    }
    return endsToken(s, end) ? end : -1;
  }
}

let lastError = "";

function fail(message: string): ShapePattern | null {
  lastError = message;
  return null;
}
