/** Builds the SDK's test policies once per test file into their gitignored build/ folders. */
import { fileURLToPath } from "node:url";
import { buildPolicy, type BuildResult } from "../../../sdk/src/build/build-policy.js";

const builds = new Map<string, Promise<BuildResult>>();

export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}/`, import.meta.url));
}

export function buildFixture(name: string): Promise<BuildResult> {
  let build = builds.get(name);
  if (!build) {
    build = buildPolicy(fixtureDir(name));
    builds.set(name, build);
  }
  return build;
}
