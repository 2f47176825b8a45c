#!/usr/bin/env node
/**
 * Builds a policy written in JavaScript into a component of the gateway's world with componentize-js
 * (SpiderMonkey embedded in a core module, snapshotted with wizer; no AOT, so nothing is downloaded).
 *
 *   node plugins-js/build.mjs plugins-js/header-stamp   ->  plugins-js/header-stamp/build/header-stamp.wasm
 *
 * What it adds to a plain `componentize` call:
 * - a world of its own per policy: the policy world's exports, but only the capability interfaces the
 *   sources import (componentize-js imports every function of every interface of the world it is
 *   given, and the gateway asks the operator to grant each imported capability);
 * - `on-call-result` (and the `use http` it needs) only when the policy imports `http`;
 * - import specifiers without a version (`portcullis:policy/log`) get the world's version;
 * - an entry module around the policy's: an uncaught error is reported (message and the policy's
 *   own `file:line:column`) on stderr, which the gateway keeps for the trap's detail, before the
 *   call traps; `onResponse`, `onFault` and `onCallResult` default to "continue, no edits";
 * - a cache by content hash (sources, wit/, componentize-js version, this file): a build takes ~30 s.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const DEFAULT_WIT = resolve(here, "../wit");
/** Everything but stdio: no clocks, randomness, fetch or event handler of the engine's own; stdio only reaches the gateway's capture. */
const DISABLED_FEATURES = ["random", "clocks", "http", "fetch-event"];
const SPECIFIER = /(["'])portcullis:policy\/([a-z][a-z0-9-]*)(?:@[0-9][0-9A-Za-z.+-]*)?\1/g;

/** The `.js` sources of a policy project (top level and lib/), the entry `policy.js` first. */
function sources(dir) {
  const files = [];
  for (const sub of ["", "lib"]) {
    const folder = join(dir, sub);
    if (!existsSync(folder)) continue;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(".js")) files.push(join(sub, entry.name));
    }
  }
  if (!files.includes("policy.js")) throw new Error(`${dir}: no policy.js (the policy's entry module)`);
  return ["policy.js", ...files.filter((f) => f !== "policy.js").sort()];
}

/** The entry componentize-js builds: the policy's exports, wrapped (see the header), for the world's `exports`. */
export function entryModule(exports) {
  const wrapped = exports.map((name) => `export const ${name} = guard("${name}");`).join("\n");
  return `import * as policy from "./policy.js";
const CONTINUE = { tag: "ok", val: { tag: "continue", val: { headers: [], metadata: [] } } };
const DEFAULTS = { onResponse: () => CONTINUE, onFault: () => CONTINUE, onCallResult: () => CONTINUE };
function guard(name) {
  const fn = policy[name] ?? DEFAULTS[name];
  if (typeof fn !== "function") throw new TypeError(\`policy.js does not export the function \${name}\`);
  return (...args) => {
    try {
      return fn(...args);
    } catch (error) {
      const frame = String(error?.stack ?? "").split("\\n").find((line) => /:\\d+:\\d+$/.test(line)) ?? "";
      const where = frame.replace(/^.*@/, "").replace(/^.*\\/(?=[^/]+:\\d+:\\d+$)/, "");
      console.error(\`portcullis-uncaught: \${String(error)}\${where ? \` at \${where}\` : ""}\`);
      throw error;
    }
  };
}
${wrapped}
`;
}

/** The world file for a policy importing `interfaces`, derived from wit/world.wit's `policy` world. */
export function policyWorld(worldWit, interfaces) {
  const pkg = /^\s*package\s+([^;]+);/m.exec(worldWit)?.[1];
  const body = /world\s+policy\s*\{([\s\S]*?)\n\}/.exec(worldWit)?.[1];
  if (!pkg || !body) throw new Error("wit/world.wit: no package or no `world policy { ... }`");
  const lines = [];
  const dropped = new Set();
  for (const match of body.matchAll(/^\s*use\s+([a-z-]+)\.\{([^}]*)\};/gm)) {
    const [, iface, names] = match;
    if (iface === "types" || interfaces.includes(iface)) lines.push(match[0].trim());
    else for (const name of names.split(",")) dropped.add(name.trim());
  }
  for (const match of body.matchAll(/^\s*export\s+[a-z0-9-]+\s*:\s*func\b[^;]*;/gm)) {
    const uses = match[0].match(/[a-z][a-z0-9-]*/g) ?? [];
    if (!uses.some((word) => dropped.has(word))) lines.push(match[0].trim());
  }
  const imports = interfaces.map((name) => `import ${name};`);
  return `package ${pkg};\n\nworld js-policy {\n${[...imports, ...lines].map((l) => `    ${l}`).join("\n")}\n}\n`;
}

/**
 * Builds the policy in `projectDir` to `projectDir/build/<folder name>.wasm`, or takes it from the
 * cache when nothing that goes into it changed. Returns the path, whether it was cached, the
 * interfaces imported and the build time.
 */
export async function buildJsPolicy(projectDir, options = {}) {
  const started = performance.now();
  const dir = resolve(projectDir);
  const witDir = resolve(options.witDir ?? DEFAULT_WIT);
  const name = basename(dir);
  const outDir = join(dir, "build");
  const wasmPath = join(outDir, `${name}.wasm`);
  const worldWit = readFileSync(join(witDir, "world.wit"), "utf8");
  const version = /^\s*package\s+[^@;]+@([^;]+);/m.exec(worldWit)?.[1];
  if (!version) throw new Error(`${witDir}/world.wit: the package has no version`);

  const files = sources(dir);
  const interfaces = new Set();
  const staged = files.map((file) => {
    const text = readFileSync(join(dir, file), "utf8").replace(SPECIFIER, (_, quote, iface) => {
      interfaces.add(iface);
      return `${quote}portcullis:policy/${iface}@${version}${quote}`;
    });
    return [file, text];
  });
  const world = policyWorld(worldWit, [...interfaces].sort());
  const exports = [...world.matchAll(/^\s*export\s+([a-z0-9-]+)\s*:/gm)].map((m) => m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase()));
  const entry = entryModule(exports);
  const witFiles = readdirSync(witDir).filter((f) => f.endsWith(".wit") && f !== "world.wit").sort();
  const { version: componentizeVersion, componentize } = await import("@bytecodealliance/componentize-js");

  const hash = createHash("sha256");
  for (const part of [componentizeVersion, readFileSync(fileURLToPath(import.meta.url), "utf8"), world, entry, DISABLED_FEATURES.join()]) hash.update(`${part}\0`);
  for (const [file, text] of staged) hash.update(`${file}\0${text}\0`);
  for (const file of witFiles) hash.update(`${file}\0${readFileSync(join(witDir, file), "utf8")}\0`);
  const key = hash.digest("hex");
  const keyPath = join(outDir, `${name}.source-sha256`);
  if (!options.force && existsSync(wasmPath) && existsSync(keyPath) && readFileSync(keyPath, "utf8") === key) {
    return { name, wasmPath, cached: true, interfaces: [...interfaces], milliseconds: performance.now() - started };
  }

  const stage = mkdtempSync(join(tmpdir(), `portcullis-js-${name}-`));
  try {
    mkdirSync(join(stage, "wit"));
    mkdirSync(join(stage, "src", "lib"), { recursive: true });
    for (const file of witFiles) copyFileSync(join(witDir, file), join(stage, "wit", file));
    writeFileSync(join(stage, "wit", "world.wit"), world);
    for (const [file, text] of staged) writeFileSync(join(stage, "src", file), text);
    writeFileSync(join(stage, "src", "entry.js"), entry);
    const { component } = await componentize({
      sourcePath: join(stage, "src", "entry.js"),
      witPath: join(stage, "wit"),
      worldName: "js-policy",
      disableFeatures: DISABLED_FEATURES,
    });
    mkdirSync(outDir, { recursive: true });
    writeFileSync(wasmPath, component);
    writeFileSync(keyPath, key);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return { name, wasmPath, cached: false, interfaces: [...interfaces], milliseconds: performance.now() - started };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  if (!dirs.length) {
    console.error("usage: node plugins-js/build.mjs <policy folder>... [--force]");
    process.exit(2);
  }
  for (const dir of dirs) {
    const result = await buildJsPolicy(dir, { force: process.argv.includes("--force") });
    const size = (readFileSync(result.wasmPath).length / 1024 / 1024).toFixed(1);
    console.log(`${result.wasmPath}: ${size} MiB, imports ${result.interfaces.join(", ") || "nothing"}${result.cached ? " (cached)" : ""} in ${Math.round(result.milliseconds)} ms`);
  }
}
