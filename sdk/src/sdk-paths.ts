/** Files of the SDK package itself, found relative to this module (same depth in src/ and dist/). */
import { fileURLToPath } from "node:url";

export const SDK_ROOT = fileURLToPath(new URL("../", import.meta.url));
export const SDK_ASSEMBLY_DIR = fileURLToPath(new URL("../assembly/", import.meta.url));
export const SDK_WIT_FILE = fileURLToPath(new URL("../wit/policy.wit", import.meta.url));
export const SDK_PACKAGE_NAME = "@portcullis/sdk";
