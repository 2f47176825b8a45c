/**
 * Resolves `.` and `..` segments (also percent-encoded as %2e) so that routing and the upstream see the
 * same path: `/public/../admin` must be matched as `/admin`, not by the `/public` prefix. Paths without a
 * dot segment are returned as they are, without allocating.
 */
export function normalizePath(path: string): string {
  if (!hasDotSegment(path)) return path;
  return new URL(path, "http://normalize.invalid").pathname;
}

function hasDotSegment(path: string): boolean {
  return path.includes("/.") || (path.includes("%2") && /%2e/i.test(path)) || path.includes("\\");
}
