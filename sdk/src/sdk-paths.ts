/** Files of the SDK package itself, found relative to this module (same depth in src/ and dist/). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SDK_ROOT = fileURLToPath(new URL("../", import.meta.url));
export const SDK_ASSEMBLY_DIR = fileURLToPath(new URL("../assembly/", import.meta.url));
export const SDK_WIT_FILE = fileURLToPath(new URL("../wit/policy.wit", import.meta.url));
/**
 * The name this copy is installed under: `@portcullis/sdk` inside the repository (the workspace the
 * gateway imports), `@portcullis-gateway/sdk` in release tarballs (the scope the project publishes under).
 * Scaffolds, entry files and `~lib/<name>/` paths follow it.
 */
export const SDK_PACKAGE_NAME: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string }).name;
/** Written by the release script into the tarball: the versions a new project installs offline (see tooling/scaffold-lock.ts). */
export const SDK_SCAFFOLD_LOCK_FILE = fileURLToPath(new URL("../scaffold-lock.json", import.meta.url));
