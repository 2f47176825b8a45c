import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Descriptor, PolicyComponentInfo } from "@portcullis/sdk/component";

/**
 * The on-disk plugin cache (runtime.cacheDir): what loading learnt of a component that is costly to
 * learn again, the world-export check and `describe()` (module start of untrusted code, under a deadline). An entry is
 * keyed by the component's SHA-256 and by the toolchain that judged it (the policy world's WIT and the
 * jco-transpile release), so a changed world or jco never reuses a verdict made under another.
 *
 * The cache is trusted for nothing that runs: the core module always comes from the pinned bytes, and
 * an entry is used only when its own digest holds and it matches those bytes; anything else (missing,
 * truncated, edited, another plugin's) is ignored and rewritten after a full load.
 */

/** Bumped whenever an entry changes shape (4: toolchain key, descriptor, digest). */
const CACHE_FORMAT = 4;

export interface CacheEntry {
  format: number;
  sha256: string;
  world: string;
  jco: string;
  coreSha256: string;
  capabilities: PolicyComponentInfo["capabilities"];
  maximumMemoryBytes: number | undefined;
  descriptor: Descriptor;
}

export const sha256Of = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");

let toolchain: { world: string; jco: string } | undefined;

/** The digest of the SDK's policy world and the jco-transpile version the SDK resolves, read once per process. */
export function toolchainKey(): { world: string; jco: string } {
  if (toolchain) return toolchain;
  const sdkManifest = createRequire(import.meta.url).resolve("@portcullis/sdk/package.json");
  const world = sha256Of(readFileSync(join(dirname(sdkManifest), "wit", "policy.wit")));
  toolchain = { world, jco: packageVersion(createRequire(sdkManifest).resolve("@bytecodealliance/jco-transpile"), "@bytecodealliance/jco-transpile") };
  return toolchain;
}

/** The version in the package.json of `name` above `file` (its resolved entry point). */
function packageVersion(file: string, name: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (manifest.name === name) return manifest.version ?? "unknown";
    } catch {
      // no package.json at this level
    }
  }
  return "unknown";
}

function entryBase(cacheDir: string, sha256: string): string {
  const { world, jco } = toolchainKey();
  return join(cacheDir, `${sha256}-${sha256Of(`${world}\n${jco}`).slice(0, 16)}.v${CACHE_FORMAT}`);
}

/**
 * The cache entry of the component with hash `sha256`, when one exists, is intact and agrees with
 * `pinned` (what parsing the pinned bytes found); otherwise undefined.
 */
export async function readCacheEntry(cacheDir: string, sha256: string, pinned: PolicyComponentInfo): Promise<CacheEntry | undefined> {
  const base = entryBase(cacheDir, sha256);
  try {
    const { digest, ...entry } = JSON.parse(await readFile(`${base}.json`, "utf8")) as CacheEntry & { digest: unknown };
    if (digest !== sha256Of(JSON.stringify(entry))) return undefined;
    const core = sha256Of(pinned.coreModule);
    const { world, jco } = toolchainKey();
    const matches =
      entry.format === CACHE_FORMAT &&
      entry.sha256 === sha256 &&
      entry.world === world &&
      entry.jco === jco &&
      entry.coreSha256 === core &&
      sha256Of(await readFile(`${base}.core.wasm`)) === core &&
      entry.capabilities.join() === pinned.capabilities.join() &&
      entry.maximumMemoryBytes === pinned.maximumMemoryBytes &&
      isDescriptor(entry.descriptor);
    return matches ? entry : undefined;
  } catch {
    return undefined; // not cached yet, unreadable or not JSON: loaded in full and written again
  }
}

function isDescriptor(value: unknown): value is Descriptor {
  const d = value as Partial<Descriptor> | null;
  return (
    typeof d === "object" &&
    d !== null &&
    typeof d.name === "string" &&
    typeof d.version === "string" &&
    Array.isArray(d.flows) &&
    d.flows.every((flow) => typeof flow === "string") &&
    typeof d.needsRequestBody === "boolean" &&
    typeof d.needsResponseBody === "boolean" &&
    typeof d.configSchema === "string"
  );
}

/** Writes the entry of a fully loaded component (inspected, checked and described). */
export async function writeCacheEntry(cacheDir: string, sha256: string, info: PolicyComponentInfo, descriptor: Descriptor): Promise<void> {
  const base = entryBase(cacheDir, sha256);
  const entry: CacheEntry = {
    format: CACHE_FORMAT,
    sha256,
    ...toolchainKey(),
    coreSha256: sha256Of(info.coreModule),
    capabilities: info.capabilities,
    maximumMemoryBytes: info.maximumMemoryBytes,
    descriptor,
  };
  await mkdir(cacheDir, { recursive: true });
  // Write then rename, so a concurrent start never reads half a file.
  const suffix = `.${process.pid}.tmp`;
  await writeFile(`${base}.core.wasm${suffix}`, info.coreModule);
  await rename(`${base}.core.wasm${suffix}`, `${base}.core.wasm`);
  await writeFile(`${base}.json${suffix}`, JSON.stringify({ ...entry, digest: sha256Of(JSON.stringify(entry)) }));
  await rename(`${base}.json${suffix}`, `${base}.json`);
}
