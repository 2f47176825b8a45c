/**
 * @portcullis/sdk (Node side). Authors use the AssemblyScript API (assembly/),
 * '@portcullis/sdk/tooling' and '@portcullis/sdk/testing'; the gateway uses
 * '@portcullis/sdk/component'.
 */
export { SDK_VERSION } from "./version.js";
export * from "./component/index.js";
