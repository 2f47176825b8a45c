// Cookie request headers (RFC 6265 section 5.4: `name=value` pairs joined by `; `). Values are
// opaque: nothing is percent-decoded; a value in double quotes is returned without them. Names
// match exactly (case-sensitive); a pair without `=` is ignored.

function isSpace(c: i32): bool {
  return c == 32 || c == 9;
}

/** `text` without leading and trailing spaces and tabs (not other whitespace). */
function trimSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return text.substring(start, end);
}

function nameOf(pair: string): string | null {
  const eq = pair.indexOf("=");
  return eq < 0 ? null : trimSpaces(pair.substring(0, eq));
}

/** The value of cookie `name` in one Cookie header value, or null when absent. */
export function cookieValue(header: string, name: string): string | null {
  const pairs = header.split(";");
  for (let i = 0; i < pairs.length; i++) {
    const pair = trimSpaces(pairs[i]);
    if (nameOf(pair) != name) continue;
    const value = trimSpaces(pair.substring(pair.indexOf("=") + 1));
    const quoted = value.length >= 2 && value.charCodeAt(0) == 34 && value.charCodeAt(value.length - 1) == 34;
    return quoted ? value.substring(1, value.length - 1) : value;
  }
  return null;
}

/** One Cookie header value without cookie `name`, the others as written; "" when nothing is left. */
export function withoutCookie(header: string, name: string): string {
  const pairs = header.split(";");
  const kept = new Array<string>();
  for (let i = 0; i < pairs.length; i++) {
    const pair = trimSpaces(pairs[i]);
    if (pair.length == 0 || nameOf(pair) == name) continue;
    kept.push(pair);
  }
  return kept.join("; ");
}
