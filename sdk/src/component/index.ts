/** `@portcullis/sdk/component`: the loading adapter and the world's JS shapes, for the gateway runtime. */
export * from "./types.js";
export {
  compileCoreModule,
  compilePolicy,
  importedCapabilities,
  inspectPolicyComponent,
  instantiatePolicy,
  loadPolicy,
  preparePolicyComponent,
  type CompiledPolicy,
  type PolicyComponentInfo,
} from "./policy-component.js";
export type { WasmModule } from "./wasm-api.js";
export { capMemoryMaximum, WASM_PAGE_BYTES, type MemoryCapResult } from "./memory-limit.js";
export { checkWorldExports } from "./world-exports.js";
// re2js itself loads on first use (loadRegexEngine), not with this entry.
export { createRegex, loadRegexEngine, REGEX_LIMITS } from "../regex/regex-capability.js";
export * from "../errors.js";
