// Masking of one value: every character but a kept prefix and suffix becomes the mask character.
import { JsonValue } from "@portcullis/sdk";

export class MaskStyle {
  constructor(public mask: string, public keepFirst: i32, public keepLast: i32) {}
}

/**
 * Masks `text` character by character (code points). When the text is not longer than what would be
 * kept, all of it is masked, so a short value is never shown whole.
 */
export function maskText(text: string, style: MaskStyle): string {
  const points = codePoints(text);
  const count = points.length;
  const shown = count > style.keepFirst + style.keepLast;
  const out = new Array<string>();
  for (let i = 0; i < count; i++) {
    const keep = shown && (i < style.keepFirst || i >= count - style.keepLast);
    out.push(keep ? String.fromCodePoint(points[i]) : style.mask);
  }
  return out.join("");
}

/**
 * The masked form of a JSON value: strings masked, numbers masked as strings of their digits as
 * written (`1234` -> `"**34"`), objects and arrays masked in every string and number inside;
 * booleans and null stay as they are.
 */
export function maskValue(value: JsonValue, style: MaskStyle): JsonValue {
  if (value.isString) return JsonValue.string(maskText(value.stringValue, style));
  if (value.isNumber) return JsonValue.string(maskText(value.numberText, style));
  if (value.isArray || value.isObject) {
    for (let i = 0; i < value.items.length; i++) value.items[i] = maskValue(value.items[i], style);
  }
  return value;
}

function codePoints(text: string): Array<i32> {
  const out = new Array<i32>();
  for (let i = 0; i < text.length; i++) {
    const point = text.codePointAt(i);
    out.push(point);
    if (point > 0xffff) i++;
  }
  return out;
}
