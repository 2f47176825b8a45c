import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildPolicy } from "../sdk/src/build/build-policy.js";
import { buildJsPolicy } from "../plugins-js/build.mjs";

/**
 * Builds, once per run and before any test file starts, the test policies under
 * test/runtime/fixtures and the first-party policies under plugins/, with the SDK exactly as an
 * author would (each into its gitignored build/ folder), so tests never run a stale component.
 *
 * `PORTCULLIS_TEST_PLUGINS=jwt,cors` limits the plugins rebuilt to those named (the fixtures are
 * always built): handy while working on one policy, since a full build takes a while.
 */
export default async function setup(): Promise<void> {
  const only = process.env.PORTCULLIS_TEST_PLUGINS?.split(",").map((name) => name.trim());
  for (const folder of ["./runtime/fixtures/", "./security/fixtures/", "../plugins/"]) {
    const root = fileURLToPath(new URL(folder, import.meta.url));
    const projects = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(`${root}${d.name}/assembly/index.ts`))
      .filter((d) => folder !== "../plugins/" || only === undefined || only.includes(d.name))
      .map((d) => `${root}${d.name}`);
    for (const project of projects) await buildPolicy(project);
  }
  // The JavaScript policy (test/sdk/js-policy*): componentize-js takes ~30 s, so build.mjs keeps it by source hash.
  await buildJsPolicy(fileURLToPath(new URL("../plugins-js/header-stamp/", import.meta.url)));
}
