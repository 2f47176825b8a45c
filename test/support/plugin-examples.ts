import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Absolute path of a first-party policy's built component (built by the vitest global setup). */
export function builtPolicy(name: string): string {
  return fileURLToPath(new URL(`../../plugins/${name}/build/${name}.wasm`, import.meta.url));
}

/**
 * A ```yaml block of plugins/<name>/README.md (the first unless `index` says otherwise), made
 * runnable in a test: plugin paths point at the built components, listeners bind port 0, and
 * backends go to `upstreamUrl`.
 */
export function readmeExample(name: string, upstreamUrl: string, index = 0): string {
  const readme = readFileSync(fileURLToPath(new URL(`../../plugins/${name}/README.md`, import.meta.url)), "utf8");
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)][index]?.[1];
  if (!block) throw new Error(`plugins/${name}/README.md has no yaml example number ${index + 1}`);
  return block
    .replace(/path: plugins\/([a-z-]+)\/build\/[a-z-]+\.wasm/g, (_, plugin: string) => `path: ${builtPolicy(plugin)}`)
    .replace(/port: \d+/g, "port: 0")
    .replace(/url: http:\/\/127\.0\.0\.1:\d+/g, `url: ${upstreamUrl}`);
}
