/**
 * Generates the SDK's world bindings from wit/: the AssemblyScript guest side
 * (sdk/assembly/bindings/) and the JavaScript host side
 * (sdk/src/component/generated-binding.ts). `node sdk/dist/codegen/generate.js`
 * writes them; `generateAll()` returns them for the drift test.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { emitGuest } from "./emit-guest.js";
import { emitHost } from "./emit-host.js";
import { parseWorld } from "./wit-parser.js";
import type { World } from "./wit-model.js";
import { WORLD_NAME } from "./names.js";

const WIT_FILES = ["world.wit", "types.wit", "capabilities.wit"];
const sdkRoot = new URL("../../", import.meta.url);

/** The repository's wit/ folder, concatenated with the `package` line first, as jco expects. */
export function readRepositoryWit(witDir = new URL("../wit/", sdkRoot)): string {
  return WIT_FILES.map((file) => readFileSync(new URL(file, witDir), "utf8")).join("\n");
}

export function loadWorld(witSource: string): World {
  return parseWorld(witSource, WORLD_NAME);
}

/** Every generated file, by path relative to sdk/. */
export function generateAll(witSource = readRepositoryWit()): Record<string, string> {
  const world = loadWorld(witSource);
  const files: Record<string, string> = { "wit/policy.wit": witSource };
  for (const [name, text] of Object.entries(emitGuest(world))) files[`assembly/bindings/${name}`] = text;
  files["src/component/generated-binding.ts"] = emitHost(world);
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [path, text] of Object.entries(generateAll())) {
    writeFileSync(new URL(path, sdkRoot), text);
    console.log(`wrote sdk/${path}`);
  }
}
