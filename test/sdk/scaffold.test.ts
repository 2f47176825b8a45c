import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { pluginNew } from "../../sdk/src/tooling/index.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

describe("pluginNew", () => {
  it("scaffolds a project that builds and passes its own test as created", async () => {
    // Inside the repo so that '@portcullis/sdk' resolves through the workspace's node_modules.
    const parent = await mkdtemp(join(repoRoot, "test/sdk/fixtures/.scaffold-"));
    const dir = join(parent, "add-hello");
    try {
      const files = await pluginNew(dir);
      expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
        ".gitignore",
        "README.md",
        "assembly/index.ts",
        "package.json",
        "test/policy.test.ts",
        "vitest.config.ts",
      ]);
      const vitest = join(repoRoot, "node_modules/vitest/vitest.mjs");
      const { stdout } = await promisify(execFile)(process.execPath, [vitest, "run", "--root", dir], { cwd: dir, timeout: 110_000 });
      expect(stdout).toMatch(/1 passed/);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  }, 120_000);
});
