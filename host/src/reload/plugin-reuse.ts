import type { LoadedPlugin } from "../runtime/plugin-loader.js";
import type { PluginReuse } from "../runtime/policy-runtime.js";
import { readPluginSource } from "../runtime/plugin-source.js";

/**
 * Reuse for a reload: a plugin of the running configuration is taken as it is (compiled module and
 * descriptor) when the new configuration points at the same file with the same content hash and the same
 * settings that loading depends on (capability grants, memory cap). The file is read again every time, so
 * the pin is checked and a rebuilt component is loaded anew.
 */
export function reuseFrom(running: ReadonlyMap<string, LoadedPlugin> | undefined, counts: { reused: number; loaded: number }): PluginReuse {
  return async (name, plugin, baseDir) => {
    const source = await readPluginSource(name, plugin, baseDir);
    const previous = [...(running?.values() ?? [])].find(
      (p) =>
        p.path === source.path &&
        p.sha256 === source.sha256 &&
        p.config.limits.memoryMb === plugin.limits.memoryMb &&
        JSON.stringify(p.config.capabilities) === JSON.stringify(plugin.capabilities),
    );
    if (!previous) {
      counts.loaded += 1;
      return undefined;
    }
    counts.reused += 1;
    return { ...previous, name, config: plugin, cached: true };
  };
}
