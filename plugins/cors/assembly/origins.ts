// Allowed origins: exact origins, `*` (any origin but `null`), `null` (only when listed), and
// patterns whose `*` stands for one or more host characters (`https://*.example.com`).

/** Why an allowOrigins entry is refused, or "" when it is fine. */
export function originEntryProblem(entry: string, allowCredentials: bool): string {
  if (entry == "*") return allowCredentials ? "\"*\" cannot be combined with allowCredentials: list the origins" : "";
  if (entry == "null") return "";
  const schemeEnd = entry.indexOf("://");
  if (schemeEnd < 0) return "must be \"*\", \"null\" or scheme://host[:port]";
  if (entry.substring(0, schemeEnd).includes("*")) return "a pattern's * may only stand in the host";
  const authority = entry.substring(schemeEnd + 3);
  if (authority == "" || authority.includes("/")) return "an origin has no path: scheme://host[:port]";
  if (authority == "*" || authority.startsWith("*:")) return "a pattern must keep part of the host, e.g. https://*.example.com";
  return "";
}

export class OriginList {
  private readonly exact: Set<string> = new Set<string>();
  private readonly patterns: Array<string> = [];
  anyOrigin: bool = false;

  constructor(entries: Array<string>) {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i].toLowerCase();
      if (entry == "*") this.anyOrigin = true;
      else if (entry.includes("*")) this.patterns.push(entry);
      else this.exact.add(entry);
    }
  }

  allows(origin: string): bool {
    const lower = origin.toLowerCase();
    if (this.exact.has(lower)) return true;
    if (lower == "null") return false;
    if (this.anyOrigin) return true;
    for (let i = 0; i < this.patterns.length; i++) {
      if (globMatches(this.patterns[i], 0, lower, 0)) return true;
    }
    return false;
  }
}

/** Host characters a `*` may stand for: never `/`, `@`, `:` or anything that could end the host. */
function isHostChar(c: i32): bool {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 46; // a-z 0-9 - .
}

function globMatches(pattern: string, p: i32, text: string, t: i32): bool {
  while (p < pattern.length) {
    const c = pattern.charCodeAt(p);
    if (c == 42) {
      // `*`: one or more host characters, then the rest of the pattern.
      for (let end = t + 1; end <= text.length && isHostChar(text.charCodeAt(end - 1)); end++) {
        if (globMatches(pattern, p + 1, text, end)) return true;
      }
      return false;
    }
    if (t >= text.length || text.charCodeAt(t) != c) return false;
    p++;
    t++;
  }
  return t == text.length;
}
