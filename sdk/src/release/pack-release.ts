/**
 * `npm run release -w sdk`: the SDK as one tarball an author installs without this repository,
 * named as the project publishes it (`@portcullis-gateway/sdk`), with the lock a new project
 * installs offline from (`scaffold-lock.json`, see tooling/scaffold-lock.ts). Prints the path.
 *
 *   node sdk/dist/release/pack-release.js [--out <folder>]   (default: where npm was run)
 */
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SDK_ROOT } from "../sdk-paths.js";
import { lockClosure, type LockEntry } from "./lock-closure.js";
import type { ScaffoldLock } from "../tooling/scaffold-lock.js";

/** The npm scope the project owns and publishes under. */
export const PUBLISHED_NAME = "@portcullis-gateway/sdk";
const SHIPPED = ["assembly", "bin", "dist", "wit", "docs", "README.md"];
const WORKSPACE_FOLDER = "sdk";

interface PackageJson {
  name: string;
  version: string;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  overrides?: Record<string, string>;
  [field: string]: unknown;
}

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, "utf8")) as T;

/** The lock entries a scaffolded project needs, with the workspace's own folder moved under the published name. */
async function scaffoldLock(repoRoot: string, sdk: PackageJson): Promise<ScaffoldLock> {
  const lock = await readJson<{ packages: Record<string, LockEntry> }>(join(repoRoot, "package-lock.json"));
  const root = await readJson<PackageJson>(join(repoRoot, "package.json"));
  const vitest = root.devDependencies?.vitest;
  if (!vitest) throw new Error("the repository's package.json has no vitest devDependency to pin");
  const picked = lockClosure(lock.packages, [
    { from: WORKSPACE_FOLDER, names: Object.keys(sdk.dependencies ?? {}) },
    { from: "", names: ["vitest"] },
  ]);
  const packages: Record<string, LockEntry> = {};
  for (const [path, entry] of Object.entries(picked)) {
    const moved = path.startsWith(`${WORKSPACE_FOLDER}/`) ? `node_modules/${PUBLISHED_NAME}/${path.slice(WORKSPACE_FOLDER.length + 1)}` : path;
    packages[moved] = entry;
  }
  // The repository's overrides (platform builds that exist only in older versions) hold in the project too.
  const names = new Set(Object.keys(packages).map((path) => path.slice(path.lastIndexOf("node_modules/") + 13)));
  const overrides = Object.fromEntries(Object.entries(root.overrides ?? {}).filter(([name]) => names.has(name)));
  return { devDependencies: { vitest }, overrides, packages };
}

export async function packRelease(outDir: string): Promise<string> {
  const sdkRoot = SDK_ROOT;
  const repoRoot = resolve(sdkRoot, "..");
  const sdk = await readJson<PackageJson>(join(sdkRoot, "package.json"));
  const stage = await mkdtemp(join(tmpdir(), "portcullis-sdk-release-"));
  try {
    for (const item of SHIPPED)
      await cp(join(sdkRoot, item), join(stage, item), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    // Repository tools: the release script itself and the reference generator (needs typescript).
    for (const tool of ["dist/release", "dist/reference"]) await rm(join(stage, tool), { recursive: true, force: true });
    const { scripts: _scripts, ...published } = sdk;
    await writeFile(
      join(stage, "package.json"),
      `${JSON.stringify(
        {
          ...published,
          name: PUBLISHED_NAME,
          files: [...new Set([...(sdk.files ?? []), "docs", "scaffold-lock.json"])],
          publishConfig: { access: "public" },
        },
        null,
        2,
      )}\n`,
    );
    await writeFile(join(stage, "scaffold-lock.json"), `${JSON.stringify(await scaffoldLock(repoRoot, sdk), null, 2)}\n`);
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", resolve(outDir)], { cwd: stage, encoding: "utf8" });
    const [packed] = JSON.parse(out) as { filename: string }[];
    return join(resolve(outDir), packed!.filename);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const at = process.argv.indexOf("--out");
  const outDir = at > 0 ? process.argv[at + 1]! : (process.env.INIT_CWD ?? process.cwd());
  process.stdout.write(`${await packRelease(outDir)}\n`);
}
