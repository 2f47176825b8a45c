import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  checkWorldExports,
  inspectPolicyComponent,
  instantiatePolicy,
  type CapabilityName,
  type Descriptor,
  type PolicyComponentInfo,
  type WasmModule,
  compileCoreModule,
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
  maximumMemoryBytes: number | undefined;
  config: PluginConfig;
  /** True when the inspected component came from the on-disk cache. */
  cached: boolean;
}

/** Bumped whenever what the cache holds changes shape, or what inspection checks (2: world export types). */
const CACHE_FORMAT = 2;

/** Process-wide counters, read by tests and benchmarks to prove the compile-once guarantee. */
export const loaderStats = { inspections: 0, compilations: 0 };

/**
 * Loads one plugin: read and pin-check the file, inspect the component against the policy world
 * (or take the result from the cache, keyed by content hash), refuse capabilities it was not
 * granted, compile its core module once, and read its descriptor.
 */
export async function loadPlugin(name: string, config: PluginConfig, baseDir: string, cacheDir: string): Promise<LoadedPlugin> {
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
  loaderStats.compilations += 1;
  const module = await compileCoreModule(info.coreModule);
  const descriptor = describePlugin(name, module);
  return {
    name,
    path: source.path,
    sha256: source.sha256,
    module,
    descriptor,
    capabilities: info.capabilities,
    maximumMemoryBytes: info.maximumMemoryBytes,
    config,
    cached,
  };
}

function isGranted(grants: CapabilityGrants, capability: CapabilityName): boolean {
  const grant = grants[capability];
  return grant !== undefined && grant !== false;
}

/** `describe` must not call capabilities, so it runs here with none. */
function describePlugin(name: string, module: WasmModule): Descriptor {
  try {
    return instantiatePolicy(module, {}).describe();
  } catch (error) {
    throw new PortcullisError("PCS_ERR_PLUGIN_INVALID", `plugin "${name}": describe() failed: ${(error as Error).message}`);
  }
}

async function inspectCached(
  name: string,
  bytes: Uint8Array,
  sha256: string,
  cacheDir: string,
): Promise<{ info: PolicyComponentInfo; cached: boolean }> {
  const base = join(cacheDir, `${sha256}.v${CACHE_FORMAT}`);
  try {
    const meta = JSON.parse(await readFile(`${base}.json`, "utf8")) as Omit<PolicyComponentInfo, "coreModule">;
    const coreModule = await readFile(`${base}.core.wasm`);
    return { info: { ...meta, coreModule }, cached: true };
  } catch {
    // not cached yet (or unreadable): inspect and write it
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

async function writeCache(base: string, info: PolicyComponentInfo): Promise<void> {
  const { coreModule, ...meta } = info;
  await mkdir(join(base, ".."), { recursive: true });
  // Write then rename, so a concurrent start never reads half a file.
  const suffix = `.${process.pid}.tmp`;
  await writeFile(`${base}.core.wasm${suffix}`, coreModule);
  await rename(`${base}.core.wasm${suffix}`, `${base}.core.wasm`);
  await writeFile(`${base}.json${suffix}`, JSON.stringify(meta));
  await rename(`${base}.json${suffix}`, `${base}.json`);
}
