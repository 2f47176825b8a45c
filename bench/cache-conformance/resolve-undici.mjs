// The suite's client imports `undici` (for interim responses) from its own folder, which has no
// node_modules: this module-resolution hook hands it the project's copy instead.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const undici = pathToFileURL(createRequire(import.meta.url)("node:path").resolve(new URL("../../node_modules/undici/index.js", import.meta.url).pathname)).href;

export async function resolve(specifier, context, next) {
  return specifier === "undici" ? next(undici, context) : next(specifier, context);
}
