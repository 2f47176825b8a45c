/**
 * The one loading adapter for policy components, used by the gateway runtime
 * and the test harness alike.
 *
 * Instead of jco's transpiled glue, the SDK binds the world itself: the
 * component's main core module is instantiated directly with imports and
 * export wrappers generated from the same WIT as the guest bindings
 * (generated-binding.ts). That is several times faster per call than the glue
 * and needs no generated JS to be loaded in workers: a compiled
 * `WebAssembly.Module` plus this file is all an instance needs.
 */
import { CapabilityNotGrantedError, InvalidComponentError, PolicyInstanceDeadError, PolicyTrapError } from "../errors.js";
import { bindExports, bindImports, CORE_CONTRACT, type CoreExports } from "./generated-binding.js";
import { GuestMemory } from "./guest-memory.js";
import {
  instantiateScriptPolicy,
  isScriptComponent,
  isScriptModule,
  prepareScriptComponent,
  refuseCarrierSections,
  scriptCapabilities,
} from "./script-component.js";
import { describeAbort, readAbortRecord } from "./trap-record.js";
import { CAPABILITY_NAMES, type CapabilityName, type Capabilities, type PolicyInstance } from "./types.js";
import { componentCoreModules, coreModuleShape, type CoreModuleShape, type FuncSignature } from "./wasm-binary.js";
import { wasm, type WasmModule } from "./wasm-api.js";

const PAGE_BYTES = 65536;
const IMPORTS = CORE_CONTRACT.imports as Record<string, { capability: string; functions: Record<string, FuncSignature> }>;
const EXPORTS = CORE_CONTRACT.exports as Record<string, FuncSignature>;
/** Exports added after 0.1.0 (`@since`): a component built against 0.1.0 lacks them and still loads. */
const OPTIONAL_EXPORTS: ReadonlySet<string> = new Set(CORE_CONTRACT.optional);

export interface PolicyComponentInfo {
  /** The main core module's bytes. */
  coreModule: Uint8Array;
  /** Capability interfaces the component imports, as operators name them. */
  capabilities: CapabilityName[];
  /** Declared maximum of guest memory in bytes (undefined: none declared). */
  maximumMemoryBytes: number | undefined;
}

export interface CompiledPolicy extends PolicyComponentInfo {
  /** The compiled main core module; can be posted to worker threads and passed to `instantiatePolicy`. */
  module: WasmModule;
}

const sameSignature = (a: FuncSignature | undefined, b: FuncSignature): boolean =>
  !!a && a.params.join() === b.params.join() && a.results.join() === b.results.join();
const show = (s: FuncSignature | undefined): string => (s ? `(${s.params.join(", ")}) -> (${s.results.join(", ")})` : "not a function");

function checkShape(shape: CoreModuleShape): string[] {
  const problems: string[] = [];
  const exported = new Map(shape.exports.map((e) => [e.name, e]));
  if (exported.get(CORE_CONTRACT.memory)?.kind !== "memory") problems.push(`missing export '${CORE_CONTRACT.memory}' (memory)`);
  const required: [string, FuncSignature][] = [
    ...Object.entries(EXPORTS),
    [CORE_CONTRACT.realloc, { params: ["i32", "i32", "i32", "i32"], results: ["i32"] }],
    [CORE_CONTRACT.initialize, { params: [], results: [] }],
  ];
  for (const [name, expected] of required) {
    const found = exported.get(name);
    if (!found) {
      if (!OPTIONAL_EXPORTS.has(name)) problems.push(`missing export '${name}' ${show(expected)}`);
    } else if (!sameSignature(found.signature, expected)) problems.push(`export '${name}' is ${show(found.signature)}, expected ${show(expected)}`);
  }
  for (const entry of shape.imports) {
    const expected = IMPORTS[entry.module]?.functions[entry.name];
    if (!expected) problems.push(`import '${entry.module}#${entry.name}' is not part of the policy world`);
    else if (!sameSignature(entry.signature, expected))
      problems.push(`import '${entry.module}#${entry.name}' is ${show(entry.signature)}, expected ${show(expected)}`);
  }
  return problems;
}

/** Checks component bytes against the world and describes them; throws InvalidComponentError naming each problem. */
export function inspectPolicyComponent(component: Uint8Array): PolicyComponentInfo {
  let modules: Uint8Array[];
  try {
    modules = componentCoreModules(component);
  } catch (error) {
    throw new InvalidComponentError([(error as Error).message]);
  }
  const shapes = modules.map((bytes) => ({ bytes, shape: coreModuleShape(bytes) }));
  const main = shapes.find((m) => m.shape.exports.some((e) => e.name === CORE_CONTRACT.memory)) ?? shapes[0];
  if (!main) throw new InvalidComponentError(["the component contains no core module"]);
  const problems = checkShape(main.shape);
  if (problems.length) throw new InvalidComponentError(problems);
  const capabilities = [...new Set(main.shape.imports.map((i) => IMPORTS[i.module]!.capability))] as CapabilityName[];
  const pages = main.shape.memoryMaximumPages;
  return {
    coreModule: main.bytes,
    capabilities: CAPABILITY_NAMES.filter((name) => capabilities.includes(name)),
    maximumMemoryBytes: pages === undefined ? undefined : pages * PAGE_BYTES,
  };
}

/**
 * `inspectPolicyComponent` for SDK components; a component of another toolchain (componentize-js)
 * gets its instantiation code generated instead (see script-component.ts).
 */
export async function preparePolicyComponent(component: Uint8Array): Promise<PolicyComponentInfo> {
  let script = false;
  try {
    script = isScriptComponent(component);
  } catch {
    // not a component: inspectPolicyComponent says so
  }
  if (script) return prepareScriptComponent(component);
  const info = inspectPolicyComponent(component);
  refuseCarrierSections(info.coreModule);
  return info;
}

/** Compiles a core module taken from `inspectPolicyComponent` (or a cache of it). */
export function compileCoreModule(coreModule: Uint8Array): Promise<WasmModule> {
  return wasm.compile(coreModule);
}

/** Validates and compiles a policy component once; instantiate the result any number of times. */
export async function compilePolicy(component: Uint8Array): Promise<CompiledPolicy> {
  const info = await preparePolicyComponent(component);
  return { ...info, module: await compileCoreModule(info.coreModule) };
}

/** The capability interfaces a compiled policy module imports. */
export function importedCapabilities(module: WasmModule): CapabilityName[] {
  if (isScriptModule(module)) return scriptCapabilities(module);
  const modules = new Set(wasm.Module.imports(module).map((i) => i.module));
  return CAPABILITY_NAMES.filter((name) => [...modules].some((m) => IMPORTS[m]?.capability === name));
}

const capabilityKey = (name: CapabilityName): keyof Capabilities => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Capabilities;

/**
 * Instantiates a compiled policy with host capabilities (plain JS functions;
 * only those the module imports are used) and runs its start code. With
 * `strict`, a capability the module imports but `capabilities` lacks is an
 * error; otherwise calling it traps (enough to run `describe`).
 * After a trap, every call throws PolicyInstanceDeadError: instantiate again.
 */
export function instantiatePolicy(
  policy: CompiledPolicy | WasmModule,
  capabilities: Partial<Capabilities>,
  options: { strict?: boolean } = {},
): PolicyInstance {
  const module = "module" in policy ? policy.module : policy;
  if (options.strict) {
    const missing = importedCapabilities(module).filter((name) => !capabilities[capabilityKey(name)]);
    if (missing.length) throw new CapabilityNotGrantedError(missing);
  }
  if (isScriptModule(module)) return instantiateScriptPolicy(module, capabilities);
  const memory = new GuestMemory();
  const modules = new Set(wasm.Module.imports(module).map((i) => i.module));
  const instance = new wasm.Instance(module, bindImports(memory, capabilities, modules));
  const core = instance.exports;
  memory.memory = core[CORE_CONTRACT.memory] as GuestMemory["memory"];
  memory.realloc = core[CORE_CONTRACT.realloc] as GuestMemory["realloc"];
  (core[CORE_CONTRACT.initialize] as () => void)();
  const exports = bindExports(memory, core as unknown as CoreExports);

  let dead = false;
  const guard =
    <A extends unknown[], R>(call: string, fn: (...args: A) => R) =>
    (...args: A): R => {
      if (dead) throw new PolicyInstanceDeadError();
      try {
        return fn(...args);
      } catch (error) {
        dead = true;
        const abort = readAbortRecord(memory.memory?.buffer);
        throw new PolicyTrapError(call, error, abort && describeAbort(abort));
      }
    };
  return {
    describe: guard("describe", exports.describe),
    init: guard("init", exports.init),
    onRequest: guard("on-request", exports.onRequest),
    onResponse: guard("on-response", exports.onResponse),
    onFault: guard("on-fault", exports.onFault),
    onCallResult: exports.onCallResult && guard("on-call-result", exports.onCallResult),
    memoryBytes: () => memory.memory!.buffer.byteLength,
  };
}

/** Compiles and instantiates in one step (tests, tools). */
export async function loadPolicy(component: Uint8Array, capabilities: Partial<Capabilities>): Promise<PolicyInstance> {
  return instantiatePolicy(await compilePolicy(component), capabilities, { strict: true });
}
