// Finding and removing a named credential in a Cookie header or a raw query string. Cookie values
// are opaque (RFC 6265: no decoding); query parameter names are matched as written, and the
// configuration schema limits them to characters that are never percent-encoded.

/** The value of cookie `name` in one Cookie header, or null when absent. */
export function cookieValue(header: string, name: string): string | null {
  const pairs = header.split(";");
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i].trim();
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.substring(0, eq).trim() == name) return unquote(pair.substring(eq + 1).trim());
  }
  return null;
}

/** The Cookie header without cookie `name` ("" when nothing is left). */
export function withoutCookie(header: string, name: string): string {
  const pairs = header.split(";");
  const kept = new Array<string>();
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i].trim();
    if (pair == "") continue;
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.substring(0, eq).trim() == name) continue;
    kept.push(pair);
  }
  return kept.join("; ");
}

/** The raw query without any `name=...` (or bare `name`) parameter. */
export function withoutQueryParameter(query: string, name: string): string {
  if (query == "") return query;
  const parts = query.split("&");
  const kept = new Array<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.substring(0, eq);
    if (key != name) kept.push(part);
  }
  return kept.join("&");
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.substring(1, value.length - 1) : value;
}
