import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { policyPath } from "./support/policies.js";

const run = promisify(execFile);

/** `portcullis validate` loads the plugins and checks every policy entry, as `start` would. */
describe("portcullis validate with plugins", () => {
  const file = (body: string) => {
    const path = join(mkdtempSync(join(tmpdir(), "portcullis-validate-")), "gateway.yaml");
    writeFileSync(path, body);
    return path;
  };
  const config = (withBlock: string) => `plugins:
  tag:
    path: ${policyPath("tag")}
listeners:
  - name: main
    port: 8080
    routes:
      - name: r
        match: { path: { prefix: / } }
        policies:
          request:
            - plugin: tag
              with: ${withBlock}
        backend: { echo: true }
`;

  it("accepts a file whose policies fit their plugins", async () => {
    const { stdout } = await run("node", ["host/bin/portcullis.js", "validate", file(config("{ label: a }"))]);
    expect(stdout).toMatch(/valid \(1 listener\(s\), 1 route\(s\), 1 plugin\(s\), 1 policy instance\(s\)\)/);
  });

  it("points at the line of a with: block the plugin's schema refuses", async () => {
    const error = (await run("node", ["host/bin/portcullis.js", "validate", file(config("{ label: 42 }"))]).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).toBe(1);
    expect(error.stderr).toMatch(/gateway\.yaml:13:\d+ listeners\[0\]\.routes\[0\]\.policies\.request\[0\]\.with\.label: must be string/);
  });

  it("reports a configuration that the plugin's init refuses, at its line", async () => {
    const error = (await run("node", ["host/bin/portcullis.js", "validate", file(config("{ label: refuse-init }"))]).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).toBe(1);
    expect(error.stderr).toMatch(/gateway\.yaml:13:\d+ listeners\[0\]\.routes\[0\]\.policies\.request\[0\]\.with: .*refused at init/);
  });
});
