import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { PortcullisError } from "../errors.js";
import type { PluginConfig } from "./config-schema.js";

/** A plugin file, read once, with its content hash. */
export interface PluginSource {
  /** Absolute path of the .wasm component. */
  path: string;
  bytes: Uint8Array;
  sha256: string;
}

/**
 * Finds a plugin's component (by path, or in an installed npm package whose package.json names
 * it under `portcullis.component`), reads it once and checks its `sha256` pin.
 */
export async function readPluginSource(name: string, plugin: PluginConfig, baseDir: string): Promise<PluginSource> {
  const path = plugin.path !== undefined ? resolve(baseDir, plugin.path) : await componentOfPackage(name, plugin.package!, baseDir);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new PortcullisError("PCS_ERR_PLUGIN_NOT_FOUND", `plugin "${name}": cannot read ${path}: ${(error as Error).message}`);
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (plugin.sha256 !== undefined && plugin.sha256 !== sha256) {
    throw new PortcullisError(
      "PCS_ERR_PLUGIN_PIN_MISMATCH",
      `plugin "${name}": ${path} has sha256 ${sha256}, but the config pins ${plugin.sha256}; refusing to load it`,
    );
  }
  return { path, bytes, sha256 };
}

async function componentOfPackage(name: string, packageName: string, baseDir: string): Promise<string> {
  const require = createRequire(join(baseDir, "noop.js"));
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${packageName}/package.json`);
  } catch {
    throw new PortcullisError("PCS_ERR_PLUGIN_NOT_FOUND", `plugin "${name}": package "${packageName}" is not installed (from ${baseDir})`);
  }
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { portcullis?: { component?: unknown } };
  const component = manifest.portcullis?.component;
  if (typeof component !== "string") {
    throw new PortcullisError(
      "PCS_ERR_PLUGIN_NOT_FOUND",
      `plugin "${name}": package "${packageName}" does not name its component in package.json ("portcullis": { "component": "x.wasm" })`,
    );
  }
  return isAbsolute(component) ? component : resolve(dirname(manifestPath), component);
}
