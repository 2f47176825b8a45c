/** `portcullis-plugin new`: imports nothing beyond Node, so it runs from an unpacked tarball before `npm install`. */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { projectLock, readScaffoldLock } from "./scaffold-lock.js";
import { projectManifest, scaffoldFiles } from "./scaffold-templates.js";

export interface NewOptions {
  /** kebab-case policy name; defaults to the folder name. */
  name?: string;
  /**
   * Path of the SDK release tarball the project depends on (`file:` spec, relative to the project).
   * From a release tarball the project also gets a package-lock.json, so `npm ci --offline` works.
   */
  sdk?: string;
}

/** Scaffolds a policy project in `dir` (which must be absent or empty) and returns the files written. */
export async function pluginNew(dir: string, options: NewOptions = {}): Promise<string[]> {
  const root = resolve(dir);
  const name = options.name ?? basename(root);
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) throw new Error(`policy name '${name}' must be kebab-case (e.g. require-header)`);
  const existing = await readdir(root).catch(() => []);
  if (existing.length) throw new Error(`${root} is not empty`);
  const recorded = readScaffoldLock();
  const tarball = options.sdk === undefined ? undefined : resolve(options.sdk);
  const spec = tarball === undefined ? undefined : `file:${relative(root, tarball).split(sep).join("/")}`;
  const manifest = projectManifest(name, spec, recorded);
  const files = scaffoldFiles(manifest);
  if (tarball && spec && recorded) files["package-lock.json"] = projectLock(manifest, recorded, tarball, spec);
  const written: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    written.push(file);
  }
  return written;
}
