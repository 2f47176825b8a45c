/**
 * Build errors inside library generics (`~lib/...`) pointed back at the author's call.
 *
 * asc compiles a generic instance when it first compiles a call or `new` that needs it, inside
 * that compilation; an error in the instance's body names only the library file. While the SDK
 * builds, asc's compiler keeps a stack of the calls it is compiling: an error raised in library
 * code gets, as its related range, the innermost call in a source outside `~lib/` that led there
 * (asc leaves that range empty for these errors). Installed once, process-wide: the stack is
 * empty outside compilation, and asc compiles synchronously.
 */
import * as assemblyscript from "assemblyscript";

interface SourceRange {
  start: number;
  end: number;
  source: { normalizedPath: string } | null;
}

const calls: SourceRange[] = [];
let installed = false;

const isLibrary = (range: SourceRange | null | undefined): boolean => range?.source?.normalizedPath.startsWith("~lib/") ?? true;

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Wraps `Compiler.prototype[name]`, whose first argument is an expression with a range, to track it. */
function trackCalls(prototype: Record<string, Method>, name: string): void {
  const original = prototype[name];
  if (typeof original !== "function") return; // another asc version: no mapping, plain library locations
  prototype[name] = function (this: unknown, ...args: unknown[]) {
    const range = (args[0] as { range?: SourceRange } | undefined)?.range;
    if (range) calls.push(range);
    try {
      return original.apply(this, args);
    } finally {
      if (range) calls.pop();
    }
  };
}

export function installCallSiteMapping(): void {
  if (installed) return;
  installed = true;
  const compiler = assemblyscript.Compiler.prototype as unknown as Record<string, Method>;
  trackCalls(compiler, "compileCallExpression");
  trackCalls(compiler, "compileNewExpression");
  const emitter = assemblyscript.DiagnosticEmitter.prototype as unknown as Record<string, Method>;
  const emit = emitter.emitDiagnostic;
  if (typeof emit !== "function") return;
  // emitDiagnostic(code, category, range, relatedRange, ...arguments)
  emitter.emitDiagnostic = function (this: unknown, ...args: unknown[]) {
    if (isLibrary(args[2] as SourceRange | null) && args[3] == null) {
      for (let i = calls.length - 1; i >= 0; i--) {
        if (!isLibrary(calls[i])) {
          args[3] = calls[i];
          break;
        }
      }
    }
    return emit.apply(this, args);
  };
}
