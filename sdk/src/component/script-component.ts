/**
 * Policies from other toolchains (componentize-js: a JavaScript engine in a core module, with the
 * legacy `cabi_realloc` naming, UTF-8 strings and a few WASI imports for its stdio), loaded through
 * jco's generated instantiation code instead of the SDK's own binding.
 *
 * The gateway passes a plugin to its workers as one compiled `WebAssembly.Module`, so the main core
 * module carries what else an instance needs in custom sections: the generated code (made here from
 * the component's types at load, never taken from the plugin file), the small helper modules, and
 * the capabilities imported. The WASI imports get stand-ins that give the guest nothing: no files,
 * no environment, no clock; stdout and stderr are kept (the last 4 KiB) so that a trap can say what
 * the engine printed (an uncaught JS error: its message and stack).
 */
import { createHash } from "node:crypto";
import { InvalidComponentError, PolicyInstanceDeadError, PolicyTrapError } from "../errors.js";
import type { PolicyComponentInfo } from "./policy-component.js";
import { CAPABILITY_NAMES, type CapabilityName, type Capabilities, type PolicyInstance } from "./types.js";
import { componentCoreModules, coreModuleShape, Reader, sections as moduleSections, withCustomSection } from "./wasm-binary.js";
import { wasm, type WasmInstance, type WasmMemory, type WasmModule } from "./wasm-api.js";

const GLUE = "portcullis:script-glue";
const CAPABILITIES = "portcullis:script-capabilities";
const HELPER = "portcullis:script-module:";
const MAIN = "portcullis:script-main";
const PAGE_BYTES = 65536;
const OUTPUT_KEPT = 4096;

/** A component not built by the SDK but by a wit-component toolchain (its core modules export `cabi_realloc`). */
export function isScriptComponent(component: Uint8Array): boolean {
  const shapes = componentCoreModules(component).map((m) => coreModuleShape(m).exports.map((e) => e.name));
  return !shapes.some((names) => names.includes("cm32p2_memory")) && shapes.some((names) => names.includes("cabi_realloc"));
}

/**
 * Refuses a core module that already carries sections of the names above: workers would run their
 * content as host code. Only `transpileScript` may add them, to a module that had none.
 */
export function refuseCarrierSections(coreModule: Uint8Array): void {
  for (const section of moduleSections(coreModule, 0)) {
    if (section.id !== 0) continue;
    const name = new Reader(coreModule, section.start).name();
    if (name.startsWith("portcullis:script-"))
      throw new InvalidComponentError([`a core module carries a custom section '${name}', which only the gateway may add`]);
  }
}

const prepared = new Map<string, Promise<PolicyComponentInfo>>();

/**
 * Generates the instantiation code for a script component (jco: several seconds for a 12 MB
 * component, so remembered per content hash for the life of the process) and returns its main core
 * module carrying it.
 */
export function prepareScriptComponent(component: Uint8Array): Promise<PolicyComponentInfo> {
  const key = createHash("sha256").update(component).digest("hex");
  let info = prepared.get(key);
  if (!info) {
    info = transpileScript(component);
    prepared.set(key, info);
    info.catch(() => prepared.delete(key));
  }
  return info;
}

async function transpileScript(component: Uint8Array): Promise<PolicyComponentInfo> {
  const { transpileBytes } = await import("@bytecodealliance/jco-transpile");
  const out = await transpileBytes(component, { name: "policy", instantiation: "sync", emitTypescriptDeclarations: false, nodejsCompat: false });
  const files = out.files as Record<string, Uint8Array>;
  const glue = Object.entries(files).find(([name]) => name.endsWith(".js"));
  const modules = Object.entries(files).filter(([name]) => name.endsWith(".wasm"));
  const main = modules.find(([, bytes]) => coreModuleShape(bytes).exports.some((e) => e.kind === "memory" && e.name === "memory"));
  if (!glue || !main) throw new Error("jco produced no instantiation code or no main core module");
  refuseCarrierSections(main[1]);
  const capabilities = CAPABILITY_NAMES.filter((name) => out.imports.includes(`portcullis:policy/${name}`));
  const encode = (text: string) => new TextEncoder().encode(text);
  const helpers = modules.filter(([name]) => name !== main[0]);
  let carrier = withCustomSection(main[1], MAIN, encode(JSON.stringify({ main: main[0], helpers: helpers.map(([name]) => name) })));
  carrier = withCustomSection(carrier, GLUE, glue[1]);
  carrier = withCustomSection(carrier, CAPABILITIES, encode(JSON.stringify(capabilities)));
  for (const [name, bytes] of helpers) carrier = withCustomSection(carrier, `${HELPER}${name}`, bytes);
  const pages = coreModuleShape(main[1]).memoryMaximumPages;
  return { coreModule: carrier, capabilities, maximumMemoryBytes: pages === undefined ? undefined : pages * PAGE_BYTES };
}

/** What a compiled script module carries, read once per module (in each thread that instantiates it). */
interface ScriptParts {
  instantiate: (
    getCoreModule: (name: string) => WasmModule,
    imports: Record<string, unknown>,
    core: (m: WasmModule, i: object) => WasmInstance,
  ) => Record<string, unknown>;
  main: string;
  helpers: Map<string, WasmModule>;
  capabilities: CapabilityName[];
}

const partsOf = new WeakMap<WasmModule, ScriptParts | null>();
const sections = (module: WasmModule, name: string): ArrayBuffer[] =>
  (globalThis as unknown as { WebAssembly: { Module: { customSections(m: WasmModule, n: string): ArrayBuffer[] } } }).WebAssembly.Module.customSections(
    module,
    name,
  );
const text = (buffer: ArrayBuffer | undefined): string => new TextDecoder().decode(buffer);

function scriptParts(module: WasmModule): ScriptParts | null {
  let parts = partsOf.get(module);
  if (parts !== undefined) return parts;
  const glue = sections(module, GLUE)[0];
  parts = null;
  if (glue) {
    const source = `${text(glue).replace(/^export (function|const) /gm, "$1 ")}\nreturn instantiate;`;
    const layout = JSON.parse(text(sections(module, MAIN)[0])) as { main: string; helpers: string[] };
    const helpers = new Map(layout.helpers.map((name) => [name, new wasm.Module(new Uint8Array(sections(module, `${HELPER}${name}`)[0]!))] as const));
    parts = {
      // The code jco generated at load from the component's types (not from the plugin file).
      instantiate: new Function(source)() as ScriptParts["instantiate"],
      main: layout.main,
      helpers,
      capabilities: JSON.parse(text(sections(module, CAPABILITIES)[0])) as CapabilityName[],
    };
  }
  partsOf.set(module, parts);
  return parts;
}

/** True for a module prepared by `prepareScriptComponent`. */
export const isScriptModule = (module: WasmModule): boolean => scriptParts(module) !== null;

/** The capability interfaces a script module imports. */
export const scriptCapabilities = (module: WasmModule): CapabilityName[] => scriptParts(module)?.capabilities ?? [];

const capabilityKey = (name: CapabilityName): keyof Capabilities => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Capabilities;

/** A capability not granted: any call throws, which the guest sees as a trap. */
const refused = (name: string): object =>
  new Proxy(
    {},
    {
      get: (_, fn) => () => {
        throw new Error(`capability "${name}" was not granted (called ${String(fn)})`);
      },
    },
  );

/** The WASI interfaces the engine imports for its stdio, given nothing but a place to write. */
function wasiStandIns(output: { text: string }): Record<string, unknown> {
  class Pollable {
    ready(): boolean {
      return true;
    }
    block(): void {}
  }
  class OutputStream {
    checkWrite(): bigint {
      return 65536n;
    }
    write(bytes: Uint8Array): void {
      output.text = (output.text + new TextDecoder().decode(bytes)).slice(-OUTPUT_KEPT);
    }
    blockingWriteAndFlush(bytes: Uint8Array): void {
      this.write(bytes);
    }
    flush(): void {}
    blockingFlush(): void {}
    subscribe(): Pollable {
      return new Pollable();
    }
  }
  const closed = { tag: "err", val: { tag: "closed" } };
  class InputStream {
    read(): object {
      return closed;
    }
    blockingRead(): object {
      return closed;
    }
    subscribe(): Pollable {
      return new Pollable();
    }
  }
  class Refused {
    constructor() {
      throw new Error("not available to policies");
    }
  }
  const out = new OutputStream();
  return {
    "wasi:cli/stdout": { getStdout: () => out },
    "wasi:cli/stderr": { getStderr: () => out },
    "wasi:cli/stdin": { getStdin: () => new InputStream() },
    "wasi:cli/terminal-input": { TerminalInput: Refused },
    "wasi:cli/terminal-output": { TerminalOutput: Refused },
    "wasi:cli/terminal-stdin": { getTerminalStdin: () => undefined },
    "wasi:cli/terminal-stdout": { getTerminalStdout: () => undefined },
    "wasi:cli/terminal-stderr": { getTerminalStderr: () => undefined },
    "wasi:filesystem/preopens": { getDirectories: () => [] },
    "wasi:filesystem/types": { Descriptor: Refused, filesystemErrorCode: () => undefined },
    "wasi:io/error": { Error: Refused },
    "wasi:io/poll": { Pollable, poll: (list: unknown[]) => new Uint32Array(list.map((_, i) => i)) },
    "wasi:io/streams": { InputStream, OutputStream },
  };
}

/**
 * What the guest printed before a trap: the uncaught error as the JS build's entry module reports it
 * (`portcullis-uncaught: TypeError: ... at policy.js:12:5`), else the engine's last lines.
 */
function engineReport(output: string): string | undefined {
  const lines = output
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const reported = lines.findLast((line) => line.startsWith("portcullis-uncaught: "));
  if (reported) return reported.slice("portcullis-uncaught: ".length);
  return lines.length ? lines.slice(-6).join(" | ") : undefined;
}

/** Instantiates a script module with host capabilities, with the same guarantees as `instantiatePolicy`. */
export function instantiateScriptPolicy(module: WasmModule, capabilities: Partial<Capabilities>): PolicyInstance {
  const parts = scriptParts(module)!;
  const output = { text: "" };
  const imports: Record<string, unknown> = wasiStandIns(output);
  for (const name of parts.capabilities) imports[`portcullis:policy/${name}`] = capabilities[capabilityKey(name)] ?? refused(name);
  let memory: WasmMemory | undefined;
  const core = (m: WasmModule, importObject: object): WasmInstance => {
    const instance = new wasm.Instance(m, importObject as never);
    if (m === module) memory = instance.exports.memory as WasmMemory;
    return instance;
  };
  const getCoreModule = (name: string): WasmModule => (name === parts.main ? module : parts.helpers.get(name)!);
  const exports = parts.instantiate(getCoreModule, imports, core) as Record<string, ((...args: unknown[]) => unknown) | undefined>;

  let dead = false;
  // jco returns a result's ok value and throws its err value (a plain `{ tag, val }`); an Error is a trap.
  const call =
    (name: string, fn: ((...args: unknown[]) => unknown) | undefined, isResult: boolean) =>
    (...args: unknown[]): never => {
      if (dead) throw new PolicyInstanceDeadError();
      if (!fn) throw new PolicyTrapError(name, new Error(`the component does not export ${name}`));
      output.text = "";
      try {
        const value = fn(...args);
        return (isResult ? { tag: "ok", val: value } : value) as never;
      } catch (error) {
        if (isResult && !(error instanceof Error) && typeof error === "object" && error !== null && "tag" in error) return { tag: "err", val: error } as never;
        dead = true;
        throw new PolicyTrapError(name, error, engineReport(output.text));
      }
    };
  return {
    describe: call("describe", exports.describe, false),
    init: call("init", exports.init, true),
    onRequest: call("on-request", exports.onRequest, true),
    onResponse: call("on-response", exports.onResponse, true),
    onFault: call("on-fault", exports.onFault, true),
    ...(exports.onCallResult ? { onCallResult: call("on-call-result", exports.onCallResult, true) } : {}),
    memoryBytes: () => memory?.buffer.byteLength ?? 0,
  } as PolicyInstance;
}
