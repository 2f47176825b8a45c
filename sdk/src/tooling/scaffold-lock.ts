/**
 * The package-lock.json of a new project made from a release tarball: the SDK itself (a `file:`
 * dependency on the tarball, with its hash) plus the lock entries the release recorded for the
 * SDK's dependencies and vitest. With it `npm ci --offline` installs from the npm cache alone.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LockEntry } from "../release/lock-closure.js";
import { SDK_PACKAGE_NAME, SDK_ROOT, SDK_SCAFFOLD_LOCK_FILE } from "../sdk-paths.js";
import { SDK_VERSION } from "../version.js";

/** What the release writes to `scaffold-lock.json`. */
export interface ScaffoldLock {
  devDependencies: Record<string, string>;
  /** package.json `overrides` the recorded versions depend on. */
  overrides: Record<string, string>;
  packages: Record<string, LockEntry>;
}

/** The release's recorded lock, or undefined in the repository (no release file there). */
export function readScaffoldLock(): ScaffoldLock | undefined {
  try {
    return JSON.parse(readFileSync(SDK_SCAFFOLD_LOCK_FILE, "utf8")) as ScaffoldLock;
  } catch {
    return undefined;
  }
}

export interface ProjectManifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  overrides?: Record<string, string>;
}

/** `tarballPath` is the SDK tarball; `spec` the `file:` spec package.json uses for it. */
export function projectLock(manifest: ProjectManifest, recorded: ScaffoldLock, tarballPath: string, spec: string): string {
  const sdk = JSON.parse(readFileSync(`${SDK_ROOT}package.json`, "utf8")) as LockEntry & { license?: string; engines?: unknown; bin?: unknown };
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarballPath)).digest("base64")}`;
  const lock = {
    name: manifest.name,
    version: manifest.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies },
      [`node_modules/${SDK_PACKAGE_NAME}`]: {
        version: SDK_VERSION,
        resolved: spec,
        integrity,
        license: sdk.license,
        dependencies: sdk.dependencies,
        bin: sdk.bin,
        engines: sdk.engines,
      },
      ...recorded.packages,
    },
  };
  return `${JSON.stringify(lock, null, 2)}\n`;
}
