import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, tempFile } from "../support/cli.js";
import { stopAll } from "../support/servers.js";
import { securityPolicyPath } from "./fixture-path.js";

afterEach(stopAll);

const fixture = securityPolicyPath;

/** One route through `plugin`; the plugin's entry starts on line 4 and its `with:` block is on line 13. */
const config = (plugin: string) => `runtime: { workers: 1, loadTimeoutMs: 500 }
plugins:
  ${plugin}:
    path: ${fixture(plugin)}
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: all
        policies:
          request:
            - { plugin: ${plugin}, with: {} }
        backend: { echo: true }
admin: { port: 0 }
logging: { format: json }
`;

/** Runs the CLI, killed after 20 s (today a looping plugin hangs it forever). */
function runBounded(args: string[]): Promise<{ status: number | null; stderr: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, 20_000);
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, killed });
    });
  });
}

describe("load and warm-up deadlines (real child processes)", () => {
  for (const command of ["validate", "start"]) {
    it(`${command}: a plugin looping in its module start is refused, naming the plugin and its line`, async () => {
      const file = tempFile("gateway.yaml", config("start-loop"));
      const result = await runBounded(command === "start" ? ["start", "-c", file] : ["validate", file]);
      expect(result.killed).toBe(false);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/PCS_ERR_PLUGIN_LOAD_TIMEOUT: .*gateway\.yaml:4:5 plugins\.start-loop: plugin "start-loop"/);
    }, 30_000);

    it(`${command}: a plugin looping in init at warm-up is refused, naming the line of its with: block`, async () => {
      const file = tempFile("gateway.yaml", config("init-loop"));
      const result = await runBounded(command === "start" ? ["start", "-c", file] : ["validate", file]);
      expect(result.killed).toBe(false);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(
        /PCS_ERR_PLUGIN_LOAD_TIMEOUT: .*gateway\.yaml:13:\d+ listeners\[0\]\.routes\[0\]\.policies\.request\[0\]\.with: plugin "init-loop"/,
      );
    }, 30_000);
  }
});
