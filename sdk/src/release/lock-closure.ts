/**
 * Picks, from the repository's package-lock.json, every package a new policy project installs
 * (the SDK's dependencies and vitest), at the same paths, versions and integrity hashes. A
 * project whose lock holds them installs with `npm ci --offline` from the npm cache: npm needs
 * no registry metadata for a locked package, only its tarball.
 */

export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** The folder whose node_modules holds `path` ("" for the root; a workspace folder for itself). */
function parentOf(path: string): string | undefined {
  if (path === "") return undefined;
  const at = path.lastIndexOf("node_modules/");
  return at < 0 ? "" : path.slice(0, Math.max(0, at - 1));
}

/** Node's lookup, on lock paths: `<from>/node_modules/<name>`, then each enclosing folder's. */
function resolveIn(packages: Record<string, LockEntry>, name: string, from: string): string | undefined {
  for (let dir: string | undefined = from; dir !== undefined; dir = parentOf(dir)) {
    const path = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (packages[path]) return path;
  }
  return undefined;
}

/** Flags that describe the repository's tree (dev-only, peer-only), not the project's. */
const TREE_FLAGS = ["dev", "devOptional", "peer"];

/**
 * The lock entries reachable from `roots` (dependency names resolved from `from`, the folder that
 * declares them). Optional dependencies are followed when the lock has them (platform builds);
 * optional peers are not (npm installs them only when something else needs them).
 * Throws when a required dependency is missing from the lock.
 */
export function lockClosure(packages: Record<string, LockEntry>, roots: { from: string; names: string[] }[]): Record<string, LockEntry> {
  const picked: Record<string, LockEntry> = {};
  const queue: { name: string; from: string; required: boolean }[] = roots.flatMap((r) => r.names.map((name) => ({ name, from: r.from, required: true })));
  while (queue.length) {
    const { name, from, required } = queue.shift()!;
    const path = resolveIn(packages, name, from);
    if (!path) {
      if (required) throw new Error(`package-lock.json has no '${name}' reachable from '${from || "."}'`);
      continue;
    }
    if (picked[path]) continue;
    const entry = packages[path]!;
    if (entry.link) throw new Error(`'${name}' is a workspace link in package-lock.json; a release cannot include it`);
    const copy: LockEntry = { ...entry };
    for (const flag of TREE_FLAGS) delete copy[flag];
    picked[path] = copy;
    for (const dep of Object.keys(entry.dependencies ?? {})) queue.push({ name: dep, from: path, required: true });
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push({ name: dep, from: path, required: false });
    for (const dep of Object.keys(entry.peerDependencies ?? {})) {
      if (entry.peerDependenciesMeta?.[dep]?.optional !== true) queue.push({ name: dep, from: path, required: true });
    }
  }
  return picked;
}
