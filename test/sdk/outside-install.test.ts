import { execFile } from "node:child_process";
import { existsSync, lstatSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

/** The environment of a shell outside this repository: no vitest or npm run state inherited from this test run. */
function outsideEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(VITEST|npm_|NODE_OPTIONS|TEST$|INIT_CWD)/i.test(key)) env[key] = value;
  }
  return env;
}

/**
 * sdk/README.md's "Without this repository" steps, as a newcomer follows them in a folder outside
 * the repository: pack the release tarball, scaffold from the unpacked tarball, `npm ci --offline`
 * (from the npm cache only), `npm run build`, `npm test`.
 */
describe("the SDK release tarball, outside the repository", () => {
  it("scaffolds, installs offline, builds and passes the scaffold's own test", async () => {
    const work = await mkdtemp(join(tmpdir(), "portcullis-outside-"));
    expect(work.startsWith(repoRoot)).toBe(false);
    const env = outsideEnv();
    const sh = (file: string, args: string[], cwd: string) => run(file, args, { cwd, env, timeout: 120_000, maxBuffer: 16 << 20 });
    try {
      const { stdout: packed } = await sh("npm", ["run", "--silent", "release", "-w", "sdk", "--", "--out", work], repoRoot);
      const tarball = packed.trim().split("\n").at(-1)!;
      expect(tarball).toBe(join(work, "portcullis-gateway-sdk-0.1.0.tgz"));

      await sh("tar", ["-xzf", tarball], work); // -> package/
      await sh(process.execPath, ["package/bin/portcullis-plugin.js", "new", "greeting", "--sdk", tarball], work);
      const project = join(work, "greeting");
      const manifest = JSON.parse(await readFile(join(project, "package.json"), "utf8"));
      expect(manifest.dependencies).toEqual({ "@portcullis-gateway/sdk": "file:../portcullis-gateway-sdk-0.1.0.tgz" });
      expect(manifest.devDependencies.vitest).toMatch(/^\^4\./);

      await sh("npm", ["ci", "--offline", "--no-audit", "--no-fund"], project);
      const installed = join(project, "node_modules/@portcullis-gateway/sdk");
      expect(lstatSync(installed).isSymbolicLink()).toBe(false); // a copy of the tarball, not a link into the repository
      expect(existsSync(join(installed, "scaffold-lock.json"))).toBe(true);

      const { stdout: built } = await sh("npm", ["run", "--silent", "build"], project);
      expect(built).toMatch(/^built greeting: .*build\/greeting\.wasm \(\d+ bytes/);

      await sh("npm", ["test", "--", "--reporter=json", "--outputFile=vitest-result.json"], project);
      const report = JSON.parse(await readFile(join(project, "vitest-result.json"), "utf8"));
      expect(report.numTotalTests).toBeGreaterThan(0);
      expect(report.numPassedTests).toBe(report.numTotalTests);
      const titles = report.testResults.flatMap((file: { assertionResults: { title: string; status: string }[] }) => file.assertionResults);
      expect(titles).toContainEqual(expect.objectContaining({ title: "adds the configured header", status: "passed" }));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 300_000);
});
