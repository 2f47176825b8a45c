/**
 * @portcullis/sdk (Node side): the loading adapter for policy components, used
 * by the gateway runtime. Authors use the AssemblyScript API (assembly/), the
 * tooling ('@portcullis/sdk/tooling') and the harness ('@portcullis/sdk/testing').
 */
export { SDK_VERSION } from "./version.js";
export * from "./component/types.js";
export {
  compilePolicy, importedCapabilities, inspectPolicyComponent, instantiatePolicy, loadPolicy,
  type CompiledPolicy, type PolicyComponentInfo,
} from "./component/policy-component.js";
export type { WasmModule } from "./component/wasm-api.js";
export * from "./errors.js";
