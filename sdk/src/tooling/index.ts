/**
 * `@portcullis/sdk/tooling`: what `portcullis plugin new|build` call.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { buildPolicy, type BuildOptions, type BuildResult } from "../build/build-policy.js";
import { scaffoldFiles } from "./scaffold-templates.js";

export { buildPolicy, DEFAULT_MAXIMUM_MEMORY_PAGES } from "../build/build-policy.js";
export type { BuildOptions, BuildResult } from "../build/build-policy.js";
export { PolicyBuildError } from "../errors.js";

export interface NewOptions {
  /** kebab-case policy name; defaults to the folder name. */
  name?: string;
}

/** Scaffolds a policy project in `dir` (which must be absent or empty) and returns the files written. */
export async function pluginNew(dir: string, options: NewOptions = {}): Promise<string[]> {
  const root = resolve(dir);
  const name = options.name ?? basename(root);
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) throw new Error(`policy name '${name}' must be kebab-case (e.g. require-header)`);
  const existing = await readdir(root).catch(() => []);
  if (existing.length) throw new Error(`${root} is not empty`);
  const written: string[] = [];
  for (const [path, text] of Object.entries(scaffoldFiles(name))) {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    written.push(file);
  }
  return written;
}

/** Builds the policy project in `dir` to `<dir>/build/<name>.wasm`. */
export function pluginBuild(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  return buildPolicy(dir, options);
}
