// Built-in text detectors (the guest has no regex engine): runs of digits and e-mail addresses.
import { maskText, MaskStyle } from "./mask";

/**
 * Masks each run of `min` to `max` digits, where single spaces or dashes between digits belong to the
 * run (`4111 1111-1111 1111` is one run of 16); separators stay, and keepFirst/keepLast count digits.
 * With `luhn`, only runs that pass the Luhn check (payment card numbers) are masked.
 */
export function maskDigitRuns(text: string, min: i32, max: i32, luhn: bool, style: MaskStyle): string {
  const out = new Array<string>();
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    const digits = new Array<i32>();
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (isDigit(c)) digits.push(i);
      else if (!((c == 0x20 || c == 0x2d) && i + 1 < text.length && isDigit(text.charCodeAt(i + 1)))) break;
      i++;
    }
    if (digits.length < min || digits.length > max || (luhn && !passesLuhn(text, digits))) continue;
    out.push(text.substring(copied, start));
    const shown = digits.length > style.keepFirst + style.keepLast;
    let next = 0;
    for (let k = start; k < i; k++) {
      if (next < digits.length && digits[next] == k) {
        const keep = shown && (next < style.keepFirst || next >= digits.length - style.keepLast);
        out.push(keep ? text.charAt(k) : style.mask);
        next++;
      } else {
        out.push(text.charAt(k));
      }
    }
    copied = i;
  }
  if (copied == 0) return text;
  out.push(text.substring(copied));
  return out.join("");
}

/** Masks each e-mail address (`local@domain.tld`) as a whole, keepFirst/keepLast counting its characters. */
export function maskEmails(text: string, style: MaskStyle): string {
  const out = new Array<string>();
  let copied = 0;
  let at = text.indexOf("@");
  while (at >= 0) {
    let start = at;
    while (start > copied && isLocalChar(text.charCodeAt(start - 1))) start--;
    let end = at + 1;
    while (end < text.length && isDomainChar(text.charCodeAt(end))) end++;
    while (end > at + 1 && text.charCodeAt(end - 1) == 0x2e) end--; // a sentence's final dot
    const domain = text.substring(at + 1, end);
    const dot = domain.indexOf(".");
    if (start < at && dot > 0 && dot < domain.length - 1) {
      out.push(text.substring(copied, start));
      out.push(maskText(text.substring(start, end), style));
      copied = end;
    }
    at = text.indexOf("@", end > at ? end : at + 1);
  }
  if (copied == 0) return text;
  out.push(text.substring(copied));
  return out.join("");
}

function passesLuhn(text: string, digits: Array<i32>): bool {
  let sum = 0;
  for (let k = 0; k < digits.length; k++) {
    let d = text.charCodeAt(digits[digits.length - 1 - k]) - 0x30;
    if (k % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function isAlphanumeric(c: i32): bool {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isLocalChar(c: i32): bool {
  return isAlphanumeric(c) || c == 0x2e || c == 0x5f || c == 0x25 || c == 0x2b || c == 0x2d;
}

function isDomainChar(c: i32): bool {
  return isAlphanumeric(c) || c == 0x2e || c == 0x2d;
}
