/**
 * `@portcullis/sdk/tooling`: what `portcullis plugin new|build` call.
 */
import { buildPolicy, type BuildOptions, type BuildResult } from "../build/build-policy.js";

export { buildPolicy, DEFAULT_MAXIMUM_MEMORY_PAGES } from "../build/build-policy.js";
export type { BuildOptions, BuildResult } from "../build/build-policy.js";
export { PolicyBuildError } from "../errors.js";
export { pluginNew, type NewOptions } from "./scaffold.js";

/** Builds the policy project in `dir` to `<dir>/build/<name>.wasm`. */
export function pluginBuild(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  return buildPolicy(dir, options);
}
