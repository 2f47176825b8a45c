/** The candidate closest to `input` by edit distance, if it is close enough to be a plausible typo. */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** Levenshtein distance with one reused row. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * ` "heder" (did you mean "header"?)` for an ajv `additionalProperties` error (compiled with
 * `verbose: true`, so it carries the object's schema): plugin `with:` keys get the hint gateway keys get.
 */
export function unknownPropertyHint(error: { params: unknown; parentSchema?: unknown }): string {
  const key = (error.params as { additionalProperty: string }).additionalProperty;
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  const known = Object.keys(properties ?? {});
  const suggestion = closestMatch(key, known);
  const hint = suggestion ? ` (did you mean "${suggestion}"?)` : known.length ? ` (expected one of: ${known.join(", ")})` : "";
  return ` "${key}"${hint}`;
}
