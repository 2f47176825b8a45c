/** Types of build.mjs (the JavaScript policy builder), for the TypeScript tests and benches. */
export interface JsPolicyBuild {
  name: string;
  wasmPath: string;
  cached: boolean;
  /** Capability interfaces the sources import (`log`, `crypto`, ...). */
  interfaces: string[];
  milliseconds: number;
}
export function buildJsPolicy(projectDir: string, options?: { witDir?: string; force?: boolean }): Promise<JsPolicyBuild>;
export function policyWorld(worldWit: string, interfaces: string[]): string;
export function entryModule(exports: string[]): string;
