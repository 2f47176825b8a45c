import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, tempFile } from "../support/cli.js";
import { stopAll, track } from "../support/servers.js";

afterEach(stopAll);

describe("portcullis CLI", () => {
  it("--help lists the commands", async () => {
    const { status, stdout } = await runCli(["--help"]);
    expect(status).toBe(0);
    for (const command of ["start", "validate", "schema", "plugin new", "plugin build"]) expect(stdout).toContain(command);
  });

  it("validate accepts the default configuration", async () => {
    const { status, stdout } = await runCli(["validate", "config/gateway.yaml"]);
    expect(status).toBe(0);
    expect(stdout).toContain("config/gateway.yaml: valid (1 listener(s), 2 route(s), 0 plugin(s), 0 policy instance(s))");
  });

  it("validate points at the line of a typo and exits 1", async () => {
    const file = tempFile(
      "typo.yaml",
      `listeners:
  - name: main
    port: 8080
    routes:
      - name: echo
        backend:
          echo: true
          timeout: { connectMs: 100 }
`,
    );
    const { status, stderr } = await runCli(["validate", file]);
    expect(status).toBe(1);
    expect(stderr).toContain(`${file}:8:11 listeners[0].routes[0].backend.timeout: unknown key "timeout" (did you mean "timeouts"?)`);
  });

  it("validate reports a missing file and a missing environment variable", async () => {
    const missing = await runCli(["validate", "/nonexistent/gateway.yaml"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("PCS_ERR_CONFIG_UNREADABLE");
    const file = tempFile("env.yaml", "listeners:\n  - name: main\n    port: ${env.PORTCULLIS_TEST_UNSET}\n");
    const unset = await runCli(["validate", file]);
    expect(unset.status).toBe(1);
    expect(unset.stderr).toContain(`${file}:3:11 listeners[0].port: environment variable PORTCULLIS_TEST_UNSET is not set`);
    expect((await runCli(["validate", file], { PORTCULLIS_TEST_UNSET: "8080" })).status).toBe(0);
  });

  it("rejects unknown commands and options with a usage error", async () => {
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('PCS_ERR_CLI_USAGE: unknown command "frobnicate"');
    expect((await runCli(["start", "--bogus"])).status).toBe(2);
    expect((await runCli(["validate"])).status).toBe(2);
  });

  it("plugin new scaffolds a policy through the SDK's tooling, and refuses a folder that is not empty", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "portcullis-plugin-")), "require-header");
    const created = await runCli(["plugin", "new", dir]);
    expect(created.status).toBe(0);
    expect(created.stdout).toContain(join(dir, "package.json"));
    expect(readFileSync(join(dir, "package.json"), "utf8")).toContain("require-header");
    const again = await runCli(["plugin", "new", dir]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("is not empty");
    expect((await runCli(["plugin", "frobnicate"])).status).toBe(2);
  });

  it("schema prints the published config/schema.json", async () => {
    const { status, stdout } = await runCli(["schema"]);
    expect(status).toBe(0);
    expect(stdout).toBe(readFileSync("config/schema.json", "utf8"));
  });

  it("start refuses a bad config before listening, and a port in use with PCS_ERR_LISTEN_FAILED", async () => {
    const bad = await runCli(["start", "-c", tempFile("bad.yaml", "listeners: []\n")]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml:1:\d+ listeners: Too small/);

    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    track(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as AddressInfo).port;
    const config = `listeners:\n  - { name: main, host: 127.0.0.1, port: ${port}, routes: [] }\nadmin: { enabled: false }\n`;
    const busy = await runCli(["start", "-c", tempFile("busy.yaml", config)]);
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain(`PCS_ERR_LISTEN_FAILED: listener "main" cannot listen on 127.0.0.1:${port}`);
  });
});
