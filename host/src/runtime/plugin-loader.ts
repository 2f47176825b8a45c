import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  capMemoryMaximum,
  checkWorldExports,
  inspectPolicyComponent,
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
  /** True when the inspected component came from the on-disk cache. */
  cached: boolean;
}

/** A plugin compiled but not described yet (describe runs in a thread of its own, see describePlugins). */
export type CompiledPlugin = Omit<LoadedPlugin, "descriptor">;

/** Bumped whenever what the cache holds changes shape, or what inspection checks (2: world export types, 3: coreSha256). */
const CACHE_FORMAT = 3;

/** Process-wide counters, read by tests and benchmarks to prove the compile-once guarantee. */
export const loaderStats = { inspections: 0, compilations: 0 };

/**
 * Loads one plugin: read and pin-check the file, inspect the component against the policy world
 * (or take the result from the cache, keyed by content hash), refuse capabilities it was not
 * granted, lower its memory maximum to `limits.memoryMb`, and compile its core module once.
 */
export async function loadPlugin(name: string, config: PluginConfig, baseDir: string, cacheDir: string): Promise<CompiledPlugin> {
  const source = await readPluginSource(name, config, baseDir);
  const { info, cached } = await inspectCached(name, source.bytes, source.sha256, cacheDir);
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
  return {
    name,
    path: source.path,
    sha256: source.sha256,
    module,
    capabilities: info.capabilities,
    maximumMemoryBytes: capped.maximumPages === undefined ? undefined : capped.maximumPages * WASM_PAGE_BYTES,
    config,
    cached,
  };
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

async function inspectCached(name: string, bytes: Uint8Array, sha256: string, cacheDir: string): Promise<{ info: PolicyComponentInfo; cached: boolean }> {
  const base = join(cacheDir, `${sha256}.v${CACHE_FORMAT}`);
  try {
    // The cache is trusted for nothing: what runs comes from the pinned bytes. Taking the core
    // module and its imports out of them is a cheap parse; the world-export check is what the cache
    // saves, and only for an entry whose every artefact matches them by content hash.
    const pinned = inspectPolicyComponent(bytes);
    const entry = JSON.parse(await readFile(`${base}.json`, "utf8")) as CacheEntry;
    const cachedCore = await readFile(`${base}.core.wasm`);
    if (entryMatches(entry, cachedCore, pinned)) return { info: pinned, cached: true };
  } catch {
    // not cached yet, unreadable, or not the pinned file's: inspect and write it again
  }
  let info: PolicyComponentInfo;
  try {
    loaderStats.inspections += 1;
    info = inspectPolicyComponent(bytes);
    await checkWorldExports(bytes);
  } catch (error) {
    throw new PortcullisError("PCS_ERR_PLUGIN_INVALID", `plugin "${name}" is not a valid policy component: ${(error as Error).message}`);
  }
  await writeCache(base, info).catch(() => undefined); // a read-only disk costs a re-inspection, nothing more
  return { info, cached: false };
}

/** A cache entry's JSON: the inspection result without the core module, and that module's hash. */
type CacheEntry = Omit<PolicyComponentInfo, "coreModule"> & { coreSha256: string };

const sha256Of = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

function entryMatches(entry: CacheEntry, cachedCore: Uint8Array, pinned: PolicyComponentInfo): boolean {
  const core = sha256Of(pinned.coreModule);
  return (
    entry.coreSha256 === core &&
    sha256Of(cachedCore) === core &&
    entry.capabilities.join() === pinned.capabilities.join() &&
    entry.maximumMemoryBytes === pinned.maximumMemoryBytes
  );
}

async function writeCache(base: string, info: PolicyComponentInfo): Promise<void> {
  const { coreModule, ...rest } = info;
  const meta: CacheEntry = { ...rest, coreSha256: sha256Of(coreModule) };
  await mkdir(join(base, ".."), { recursive: true });
  // Write then rename, so a concurrent start never reads half a file.
  const suffix = `.${process.pid}.tmp`;
  await writeFile(`${base}.core.wasm${suffix}`, coreModule);
  await rename(`${base}.core.wasm${suffix}`, `${base}.core.wasm`);
  await writeFile(`${base}.json${suffix}`, JSON.stringify(meta));
  await rename(`${base}.json${suffix}`, `${base}.json`);
}
