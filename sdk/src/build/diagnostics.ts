/** Turns asc diagnostics into `file:line:column: message` lines that point at the author's source. */
import { isAbsolute, join, relative } from "node:path";

export interface Diagnostic {
  message: string;
  code: number;
  /** asc's DiagnosticCategory: 0 pedantic, 1 info, 2 warning, 3 error */
  category: number;
  range: DiagnosticRange | null;
  /** For an error in library code: the author's call that instantiated it (see call-sites.ts). */
  relatedRange?: DiagnosticRange | null;
}

interface DiagnosticRange {
  start: number;
  end: number;
  source: { normalizedPath: string } | null;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * `sources` maps the paths asc read to their text. SDK files appear as
 * `~lib/@portcullis/sdk/...`; the author's files relative to the project.
 */
export function locateDiagnostic(diagnostic: Diagnostic, sources: Map<string, string>, projectDir: string): string {
  const message = `error AS${diagnostic.code}: ${diagnostic.message}`;
  const range = diagnostic.range;
  if (!range?.source) return message;
  const here = place(range, sources, projectDir);
  const caller = diagnostic.relatedRange?.source && range.source.normalizedPath.startsWith("~lib/") ? diagnostic.relatedRange : undefined;
  // An error inside a library generic is the author's to fix at the call that instantiated it.
  return caller ? `${place(caller, sources, projectDir)}: ${message} (in ${here}, instantiated by this call)` : `${here}: ${message}`;
}

/** `file:line:column` of a range: the author's files relative to the working folder, library files as `~lib/...`. */
function place(range: DiagnosticRange, sources: Map<string, string>, projectDir: string): string {
  const path = range.source!.normalizedPath;
  const text = sources.get(path) ?? [...sources.entries()].find(([read]) => read.endsWith(path.replace(/^~lib\//, "")))?.[1];
  const where = text ? lineAndColumn(text, range.start) : undefined;
  const absolute = isAbsolute(path) || path.startsWith("~lib/") ? path : join(projectDir, path);
  const shown = path.startsWith("~lib/") ? path : relative(process.cwd(), absolute) || absolute;
  return `${shown}${where ? `:${where.line}:${where.column}` : ""}`;
}
