import { createRequire } from "node:module";

const requireFrom = createRequire(import.meta.url);

/**
 * Whether `require` loads ES modules here (Node 20.19+, 22.12+; not 21 nor 22.0-22.11, where it
 * throws ERR_REQUIRE_ESM). Where it does not, an ES-only library is imported eagerly instead.
 */
export const requireLoadsEsm = (process.features as { require_module?: boolean }).require_module === true;

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
