/**
 * Builds a policy project into one component: asc (minimal runtime, the SDK's
 * entry points, export renaming) -> componentEmbed (WIT world, UTF-16) ->
 * componentNew -> `<name>.wasm`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import asc from "assemblyscript/asc";
import { componentEmbed, componentNew } from "@bytecodealliance/jco-transpile/wasm-tools";
import { PolicyBuildError } from "../errors.js";
import { SDK_ASSEMBLY_DIR, SDK_PACKAGE_NAME, SDK_WIT_FILE } from "../sdk-paths.js";
import { GUEST_INITIALIZE, guestExportName, guestPostReturnName, GUEST_REALLOC, WORLD_NAME } from "../codegen/names.js";
import { CORE_CONTRACT } from "../component/generated-binding.js";
import { stampWorld } from "../component/world-exports.js";
import { RESERVED_LOW_MEMORY } from "../component/trap-record.js";
import { ExportTransform } from "./export-transform.js";
import { locateDiagnostic, type Diagnostic } from "./diagnostics.js";
import { installCallSiteMapping } from "./call-sites.js";

/** 160 pages = 10 MiB: room for a 1 MiB body lifted, edited and returned. */
export const DEFAULT_MAXIMUM_MEMORY_PAGES = 160;
const ENTRY_FILE = "__portcullis_entry__.ts";
const PACKAGE_DIR = `node_modules/${SDK_PACKAGE_NAME}/`;

export interface BuildOptions {
  /** Output folder; defaults to `<dir>/build`. */
  outDir?: string;
}

export interface BuildResult {
  name: string;
  wasmPath: string;
  component: Uint8Array;
  coreModule: Uint8Array;
  milliseconds: number;
}

interface PolicyPackage {
  name?: string;
  portcullis?: { maximumMemoryPages?: number; entry?: string };
}

/** The virtual entry file: re-exports the SDK's entry points so authors never do. */
function entrySource(): string {
  const names = [GUEST_REALLOC];
  for (const coreName of Object.keys(CORE_CONTRACT.exports)) {
    const [, func, post] = /^cm32p2\|\|(.+?)(_post)?$/.exec(coreName)!;
    names.push(post ? guestPostReturnName(func!) : guestExportName(func!));
  }
  return `export { ${names.join(", ")} } from "${SDK_PACKAGE_NAME}/bindings/exports";\n`;
}

export async function buildPolicy(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  installCallSiteMapping();
  const root = resolve(dir);
  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as PolicyPackage;
  const name = (pkg.name ?? "policy").replace(/^@[^/]+\//, "");
  const entry = pkg.portcullis?.entry ?? "assembly/index.ts";
  const maximumMemory = pkg.portcullis?.maximumMemoryPages ?? DEFAULT_MAXIMUM_MEMORY_PAGES;
  const problems: string[] = [];
  // asc instantiates transform classes itself, giving them its binaryen instance.
  const transform = class extends ExportTransform {
    constructor() {
      super(problems);
    }
  };
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  let coreModule: Uint8Array | undefined;

  const readSource = async (file: string, baseDir: string): Promise<string | null> => {
    if (file === ENTRY_FILE) return entrySource();
    const normalized = file.split(sep).join("/");
    const packageAt = normalized.lastIndexOf(PACKAGE_DIR);
    const path = packageAt >= 0 ? join(SDK_ASSEMBLY_DIR, normalized.slice(packageAt + PACKAGE_DIR.length)) : resolve(baseDir, file);
    try {
      const text = await readFile(path, "utf8");
      sources.set(normalized, text);
      return text;
    } catch {
      return null;
    }
  };

  const sdkAbort = `~lib/${SDK_PACKAGE_NAME}/runtime/abort/`;
  const result = await asc.main([
    entry, ENTRY_FILE,
    "--runtime", "minimal",
    "--exportStart", GUEST_INITIALIZE,
    "--optimizeLevel", "3", "--shrinkLevel", "0",
    "--use", `abort=${sdkAbort}policyAbort`,
    "--use", `trace=${sdkAbort}policyTrace`,
    "--use", `seed=${sdkAbort}policySeed`,
    "--maximumMemory", String(maximumMemory),
    "--memoryBase", String(RESERVED_LOW_MEMORY), // the trap record's room (component/trap-record.ts)
    "--noColors",
    "--baseDir", root,
    "--outFile", "policy.wasm",
  ], {
    readFile: readSource,
    writeFile: (file: string, contents: Uint8Array | string) => {
      if (file.endsWith(".wasm") && typeof contents !== "string") coreModule = contents;
    },
    listFiles: () => [],
    stdout: asc.createMemoryStream(),
    stderr: asc.createMemoryStream(),
    transforms: [transform],
    reportDiagnostic: (diagnostic: Diagnostic) => diagnostics.push(diagnostic),
  } as never);

  // One generic instance can fail the same way several times: each line once.
  const errors = [...new Set(diagnostics.filter((d) => d.category === 3).map((d) => locateDiagnostic(d, sources, root)))];
  errors.push(...problems);
  if (result.error || errors.length || !coreModule) {
    throw new PolicyBuildError(name, errors.length ? errors : [String(result.error?.message ?? "asc produced no module")]);
  }

  const witSource = await readFile(SDK_WIT_FILE, "utf8");
  const embedded = await componentEmbed({ binary: coreModule, witSource, world: WORLD_NAME, stringEncoding: "utf16" });
  const component = stampWorld(await componentNew(embedded));
  const outDir = resolve(root, options.outDir ?? "build");
  await mkdir(outDir, { recursive: true });
  const wasmPath = join(outDir, `${name}.wasm`);
  await writeFile(wasmPath, component);
  return { name, wasmPath, component, coreModule, milliseconds: performance.now() - started };
}
