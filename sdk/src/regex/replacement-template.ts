/**
 * The replacement syntax of `regex.replace-all`: `$1` or `${1}` is group 1 (`$0` the whole match),
 * `${name}` a named group, `$$` a literal `$`. Parsed once against the pattern's groups, so a bad
 * reference is an error even when nothing matches.
 */

/** Literal text, or the number of the group to insert. */
export type TemplatePart = string | number;

export type TemplateParse = { ok: true; parts: TemplatePart[] } | { ok: false; problem: string };

export function parseReplacement(replacement: string, groupCount: number, namedGroups: Record<string, number>): TemplateParse {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < replacement.length) {
    const dollar = replacement.indexOf("$", i);
    if (dollar < 0) {
      literal += replacement.slice(i);
      break;
    }
    literal += replacement.slice(i, dollar);
    const next = replacement[dollar + 1];
    let reference: string;
    if (next === "$") {
      literal += "$";
      i = dollar + 2;
      continue;
    } else if (next === "{") {
      const close = replacement.indexOf("}", dollar + 2);
      if (close < 0) return { ok: false, problem: `"\${" at offset ${dollar} has no closing "}"` };
      reference = replacement.slice(dollar + 2, close);
      i = close + 1;
    } else {
      let end = dollar + 1;
      while (end < replacement.length && isDigit(replacement.charCodeAt(end))) end++;
      const digits = replacement.slice(dollar + 1, end);
      if (!digits) return { ok: false, problem: `"$" at offset ${dollar} starts no group reference (write "$$" for a literal "$")` };
      reference = digits;
      i = dollar + 1 + digits.length;
    }
    const numbered = reference.length > 0 && [...reference].every((c) => isDigit(c.charCodeAt(0)));
    const group = numbered ? Number(reference) : Object.hasOwn(namedGroups, reference) ? namedGroups[reference] : undefined;
    if (group === undefined || group > groupCount) {
      return { ok: false, problem: `the pattern has no group "${reference}" (it has ${groupCount} groups)` };
    }
    if (literal) parts.push(literal);
    literal = "";
    parts.push(group);
  }
  if (literal) parts.push(literal);
  return { ok: true, parts };
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;
