import { PortcullisError, type ErrorCode } from "../errors.js";
import { ConfigError, type LoadedConfig } from "./load-config.js";

/** The key under `plugins.<name>` each plugin load error is about (the plugin's own line otherwise). */
const KEY_OF: Partial<Record<ErrorCode, string[][]>> = {
  PCS_ERR_PLUGIN_NOT_FOUND: [["path"], ["package"]],
  PCS_ERR_PLUGIN_PIN_MISMATCH: [["sha256"]],
  PCS_ERR_PLUGIN_CAPABILITY_DENIED: [["capabilities"]],
  PCS_ERR_PLUGIN_MEMORY: [["limits", "memoryMb"], ["limits"]],
  PCS_ERR_PLUGIN_INVALID: [["path"], ["package"]],
};

/**
 * A plugin that fails to load (missing file, pin mismatch, capability not granted, ...) names the
 * YAML line of the key at fault: `plugin "x": cannot read ... (gateway.yaml:12:11 plugins.x.path)`. The
 * message still starts with `plugin "x"` (reload reports find the plugin by it). Errors that already
 * carry lines, and anything that is not a PortcullisError, pass unchanged.
 */
export function locatePluginLoadError(loaded: LoadedConfig, name: string, error: unknown): unknown {
  if (!(error instanceof PortcullisError) || error instanceof ConfigError) return error;
  const entry = ["plugins", name];
  const at = loaded.locate(entry);
  // locate() answers an absent key with its parent's position: such a key is skipped for the entry's own line.
  const keys = (KEY_OF[error.code] ?? []).map((key) => [...entry, ...key]);
  for (const path of [...keys, entry]) {
    const { line, column } = loaded.locate(path);
    if (line === undefined || (path !== entry && line === at.line && column === at.column)) continue;
    return new PortcullisError(error.code, `${error.message} (${loaded.source}:${line}:${column} ${path.join(".")})`, { cause: error });
  }
  return error;
}
