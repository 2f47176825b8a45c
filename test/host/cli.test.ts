import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, startCli, tempFile } from "../support/cli.js";
import { rawRequest, stopAll, track } from "../support/servers.js";

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

  it("start --help prints the start options and exits 0; a bad admin port is a usage error", async () => {
    for (const flag of ["--help", "-h"]) {
      const { status, stdout } = await runCli(["start", flag]);
      expect(status).toBe(0);
      for (const text of ["Usage: portcullis start", "--config", "--admin-host", "--admin-port", "PORTCULLIS_ADMIN_PORT", "SIGHUP", "POST /reload"]) {
        expect(stdout).toContain(text);
      }
    }
    const bad = await runCli(["start", "--admin-port", "99999"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('PCS_ERR_CLI_USAGE: admin port must be an integer from 0 to 65535, not "99999"');
    expect((await runCli(["start", "-c", "config/gateway.yaml"], { PORTCULLIS_ADMIN_PORT: "nine" })).status).toBe(2);
  });

  it("the admin port comes from --admin-port or PORTCULLIS_ADMIN_PORT when the file's is taken; the command line wins", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    track(() => new Promise((resolve) => blocker.close(resolve)));
    const taken = (blocker.address() as AddressInfo).port;
    const file = tempFile("gateway.yaml", `listeners:\n  - { name: main, host: 127.0.0.1, port: 0, routes: [] }\nadmin: { host: 127.0.0.1, port: ${taken} }\n`);

    const refused = await runCli(["start", "-c", file]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`PCS_ERR_LISTEN_FAILED: admin server cannot listen on 127.0.0.1:${taken}`);

    const runs = [
      startCli(file, { args: ["--admin-port", "0"] }),
      startCli(file, { env: { PORTCULLIS_ADMIN_PORT: "0" } }),
      startCli(file, { args: ["--admin-port", "0", "--admin-host", "127.0.0.1"], env: { PORTCULLIS_ADMIN_PORT: String(taken) } }),
    ];
    for (const cli of runs) {
      const line: Record<string, unknown> = await Promise.race([
        cli.waitForLine((l) => Array.isArray(l.endpoints)),
        cli.exited.then((code) => ({ exited: code })),
      ]);
      expect(line).toHaveProperty("url");
      const admin = String(line.url);
      expect(admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(admin).not.toContain(`:${taken}`);
      expect((await rawRequest(`${admin}/healthz`)).status).toBe(200);
    }
  });

  it("the start-up log lists the admin endpoints that exist, and README lists them too", async () => {
    const file = tempFile(
      "gateway.yaml",
      "listeners:\n  - { name: main, host: 127.0.0.1, port: 0, routes: [] }\nadmin: { port: 0 }\nreload: { watch: false }\n",
    );
    const cli = startCli(file);
    const line = await cli.waitForLine((l) => Array.isArray(l.endpoints));
    const endpoints = line.endpoints as string[];
    const admin = String(line.url);
    expect(endpoints).toEqual(expect.arrayContaining(["GET /healthz", "GET /readyz", "GET /config", "GET /reload", "POST /reload"]));
    for (const endpoint of endpoints) {
      const [method, path] = endpoint.split(" ") as [string, string];
      const status = await statusOf(`${admin}${path}`, method); // the head only: some endpoints stream
      expect(status, endpoint).not.toBe(404);
      expect(status, endpoint).toBeLessThan(500);
    }
    // An unknown path answers 404 with the same list.
    expect((await rawRequest(`${admin}/nope`)).json().endpoints).toEqual(endpoints);
    const readme = readFileSync("README.md", "utf8");
    const adminLine = readme.split("\n").find((l) => l.includes("# admin:"))!;
    for (const endpoint of endpoints) expect(adminLine, endpoint).toContain(endpoint.split(" ")[1]);
    expect(adminLine).toContain("POST /reload");
  });
});

/** The status of a response, without waiting for its body. */
function statusOf(url: string, method: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on("error", reject);
    req.end();
  });
}
