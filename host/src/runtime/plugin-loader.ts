import {
  capMemoryMaximum,
  checkWorldExports,
  preparePolicyComponent,
  type CapabilityName,
  type Descriptor,
  type PolicyComponentInfo,
  type WasmModule,
  compileCoreModule,
  WASM_PAGE_BYTES,
} from "@portcullis/sdk/component";
import { PortcullisError } from "../errors.js";
import type { CapabilityGrants, PluginConfig } from "./config-schema.js";
import { readPluginSource } from "./plugin-source.js";
import { readCacheEntry, writeCacheEntry } from "./plugin-cache.js";
import { describePlugins } from "./describe-plugins.js";
import { configSchemaProblem } from "./plugin-schema-check.js";

/** A plugin ready to run: its module compiled once in this process, shared with every worker. */
export interface LoadedPlugin {
  name: string;
  path: string;
  sha256: string;
  module: WasmModule;
  descriptor: Descriptor;
  capabilities: CapabilityName[];
  /** The memory maximum in force: the module's own, lowered to `limits.memoryMb` (undefined: no memory). */
  maximumMemoryBytes: number | undefined;
  config: PluginConfig;
  /** True when the world check and the descriptor came from the on-disk cache (see plugin-cache.ts). */
  cached: boolean;
}

/** A plugin compiled, described already when its cache entry held the descriptor (see describeCompiled). */
export type CompiledPlugin = Omit<LoadedPlugin, "descriptor"> & { descriptor: Descriptor | undefined };

/** Process-wide counters, read by tests and benchmarks to prove the compile-once and cache guarantees. */
export const loaderStats = { inspections: 0, compilations: 0, descriptions: 0 };

/** What a plugin loaded without its cache entry needs to write one, once it is described. */
const uncached = new WeakMap<CompiledPlugin, { info: PolicyComponentInfo; cacheDir: string }>();

/**
 * Loads one plugin: read and pin-check the file, inspect the component against the policy world
 * (or take the result from the cache, keyed by content hash), refuse capabilities it was not
 * granted, lower its memory maximum to `limits.memoryMb`, and compile its core module once.
 */
export async function loadPlugin(name: string, config: PluginConfig, baseDir: string, cacheDir: string): Promise<CompiledPlugin> {
  const source = await readPluginSource(name, config, baseDir);
  const { info, descriptor } = await inspectCached(name, source.bytes, source.sha256, cacheDir);
  const denied = info.capabilities.filter((capability) => !isGranted(config.capabilities, capability));
  if (denied.length) {
    throw new PortcullisError(
      "PCS_ERR_PLUGIN_CAPABILITY_DENIED",
      `plugin "${name}" imports ${denied.map((c) => `"${c}"`).join(", ")} but is not granted ${denied.length > 1 ? "them" : "it"}; ` +
        `add ${denied.map((c) => `${c}: ${c === "http" || c === "files" ? "{ allow: [...] }" : c === "geo" ? "{ database: ... }" : "true"}`).join(", ")} ` +
        `under plugins.${name}.capabilities if you trust it with ${denied.length > 1 ? "them" : "it"}`,
    );
  }
  const capped = cappedCoreModule(name, info.coreModule, config.limits.memoryMb);
  loaderStats.compilations += 1;
  const module = await compileCoreModule(capped.module);
  const plugin: CompiledPlugin = {
    name,
    path: source.path,
    sha256: source.sha256,
    module,
    descriptor,
    capabilities: info.capabilities,
    maximumMemoryBytes: capped.maximumPages === undefined ? undefined : capped.maximumPages * WASM_PAGE_BYTES,
    config,
    cached: descriptor !== undefined,
  };
  if (descriptor === undefined) uncached.set(plugin, { info, cacheDir });
  return plugin;
}

/**
 * Gives every compiled plugin its descriptor: from its cache entry, else by running `describe()` within
 * `timeoutMs` (describePlugins: a short slice in this thread, then a thread of its own), after which its
 * cache entry is written.
 */
export async function describeCompiled(compiled: CompiledPlugin[], timeoutMs: number, where: (name: string) => string): Promise<LoadedPlugin[]> {
  const fresh = compiled.filter((plugin) => plugin.descriptor === undefined);
  loaderStats.descriptions += fresh.length;
  const describing = describePlugins(fresh, timeoutMs, where);
  // While a describe thread boots (when one is needed), this one compiles the meta-schema validator the schema checks need.
  if (fresh.length) configSchemaProblem(true);
  const descriptors = await describing;
  await Promise.all(
    fresh.map((plugin) => {
      const pending = uncached.get(plugin);
      const descriptor = descriptors.get(plugin.name)!;
      // Cached only whole: a schema that is not JSON Schema is reported by validatePlan at every start.
      if (!pending || !hasValidSchema(descriptor)) return undefined;
      // A read-only disk costs a full load at the next start, nothing more.
      return writeCacheEntry(pending.cacheDir, plugin.sha256, pending.info, descriptor).catch(() => undefined);
    }),
  );
  return compiled.map((plugin) => ({ ...plugin, descriptor: plugin.descriptor ?? descriptors.get(plugin.name)! }));
}

/**
 * The host owns the memory cap: the module's declared maximum is lowered to `memoryMb` before it
 * is compiled, so `memory.grow` past the cap fails inside the call that asks (a trap failing that
 * request) instead of growing the gateway first and being noticed after the call.
 */
function cappedCoreModule(name: string, coreModule: Uint8Array, memoryMb: number): ReturnType<typeof capMemoryMaximum> {
  const capPages = (memoryMb * 1024 * 1024) / WASM_PAGE_BYTES;
  let capped: ReturnType<typeof capMemoryMaximum>;
  try {
    capped = capMemoryMaximum(coreModule, capPages);
  } catch (error) {
    throw new PortcullisError("PCS_ERR_PLUGIN_INVALID", `plugin "${name}": its memory cannot be capped: ${(error as Error).message}`);
  }
  if (capped.initialPages > capPages) {
    throw new PortcullisError(
      "PCS_ERR_PLUGIN_MEMORY",
      `plugin "${name}" starts with ${(capped.initialPages * WASM_PAGE_BYTES) / 1024 / 1024} MiB of memory, ` +
        `more than its limits.memoryMb (${memoryMb}); raise plugins.${name}.limits.memoryMb if you trust it with that much`,
    );
  }
  return capped;
}

function isGranted(grants: CapabilityGrants, capability: CapabilityName): boolean {
  const grant = grants[capability];
  return grant !== undefined && grant !== false;
}

function hasValidSchema(descriptor: Descriptor): boolean {
  try {
    return configSchemaProblem(JSON.parse(descriptor.configSchema)) === undefined;
  } catch {
    return false;
  }
}

/**
 * The pinned bytes parsed (a cheap walk that yields the core module and its imports) and, when the
 * cache holds an entry agreeing with them, its descriptor; otherwise the world-export check runs.
 */
async function inspectCached(
  name: string,
  bytes: Uint8Array,
  sha256: string,
  cacheDir: string,
): Promise<{ info: PolicyComponentInfo; descriptor?: Descriptor }> {
  let info: PolicyComponentInfo;
  try {
    info = await preparePolicyComponent(bytes); // an SDK component, or one from componentize-js (script-component.ts)
  } catch (error) {
    throw invalid(name, error);
  }
  const entry = await readCacheEntry(cacheDir, sha256, info);
  if (entry) return { info, descriptor: entry.descriptor };
  try {
    loaderStats.inspections += 1;
    await checkWorldExports(bytes);
  } catch (error) {
    throw invalid(name, error);
  }
  return { info };
}

const invalid = (name: string, error: unknown): PortcullisError =>
  new PortcullisError("PCS_ERR_PLUGIN_INVALID", `plugin "${name}" is not a valid policy component: ${(error as Error).message}`);
