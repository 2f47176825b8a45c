import { createRequire } from "node:module";

const requireFrom = createRequire(import.meta.url);

/**
 * A module loaded on first call, synchronously (`require`, which also loads ES modules since Node
 * 20.19): policies call capabilities synchronously, so a worker cannot await an import at flow
 * time. Used for the heavy libraries behind some capabilities, which a worker whose plugins are not
 * granted them never loads (see loadCapabilityModules).
 */
export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireFrom(specifier) as T);
}
