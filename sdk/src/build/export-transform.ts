/**
 * asc transform: gives the compiled module the core names wit-component
 * expects (`cm32p2||on-request`, which AssemblyScript cannot spell), drops
 * every other export, and rejects imports outside the world with a hint.
 */
import { CORE_CONTRACT } from "../component/generated-binding.js";
import { GUEST_INITIALIZE, GUEST_MEMORY, GUEST_REALLOC, guestExportName, guestPostReturnName } from "../codegen/names.js";

interface BinaryenModule {
  getNumExports(): number;
  getExportByIndex(index: number): number;
  removeExport(name: string): void;
  addFunctionExport(internalName: string, externalName: string): void;
  addMemoryExport(internalName: string, externalName: string): void;
  getNumFunctions(): number;
  getFunctionByIndex(index: number): number;
}

interface Binaryen {
  getExportInfo(ref: number): { kind: number; name: string; value: string };
  getFunctionInfo(ref: number): { name: string; module: string | null; base: string | null };
  ExternalMemory: number;
}

/** Guest export name -> core export name. */
function exportRenames(): Map<string, string> {
  const renames = new Map<string, string>([
    [GUEST_MEMORY, CORE_CONTRACT.memory],
    [GUEST_REALLOC, CORE_CONTRACT.realloc],
    [GUEST_INITIALIZE, CORE_CONTRACT.initialize],
  ]);
  for (const coreName of Object.keys(CORE_CONTRACT.exports)) {
    const match = /^cm32p2\|\|(.+?)(_post)?$/.exec(coreName)!;
    const func = match[1]!;
    renames.set(match[2] ? guestPostReturnName(func) : guestExportName(func), coreName);
  }
  return renames;
}

const IMPORT_HINTS: Record<string, string> = {
  "Date.now": "use Clock.nowMs() from @portcullis/sdk",
  "console.log": "use Log.info() from @portcullis/sdk",
};

export class ExportTransform {
  declare binaryen: Binaryen;
  /** `problems` collects what the build reports after asc returns. */
  constructor(private readonly problems: string[]) {}

  afterCompile(module: BinaryenModule): void {
    const renames = exportRenames();
    const found: { kind: number; name: string; value: string }[] = [];
    for (let i = 0, n = module.getNumExports(); i < n; i++) found.push(this.binaryen.getExportInfo(module.getExportByIndex(i)));
    for (const info of found) module.removeExport(info.name);
    for (const info of found) {
      const coreName = renames.get(info.name);
      if (!coreName) continue;
      if (info.kind === this.binaryen.ExternalMemory) module.addMemoryExport(info.value, coreName);
      else module.addFunctionExport(info.value, coreName);
    }
    const allowed = new Set(Object.keys(CORE_CONTRACT.imports));
    for (let i = 0, n = module.getNumFunctions(); i < n; i++) {
      const info = this.binaryen.getFunctionInfo(module.getFunctionByIndex(i));
      if (!info.module || allowed.has(info.module)) continue;
      const name = `${info.module}.${info.base}`;
      const hint = IMPORT_HINTS[info.base ?? ""] ?? "policies can only call the host through the SDK's capabilities";
      this.problems.push(`the policy imports '${name}', which is outside the policy world: ${hint}`);
    }
  }
}
