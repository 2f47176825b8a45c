/**
 * The slice of the WebAssembly JS API the SDK uses, typed here because the
 * project compiles against lib ES2023 without DOM (where TypeScript declares
 * the `WebAssembly` namespace). Values are the runtime's own objects.
 */

/** A compiled core module (a real `WebAssembly.Module`: it can be posted to worker threads). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface ModuleImportDescriptor {
  module: string;
  name: string;
  kind: string;
}

export interface ModuleExportDescriptor {
  name: string;
  kind: string;
}

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): ModuleImportDescriptor[];
    exports(module: WasmModule): ModuleExportDescriptor[];
  };
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  RuntimeError: new (...args: never[]) => Error;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
