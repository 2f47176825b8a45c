import { afterEach, describe, expect, it } from "vitest";
import { startCli, tempFile } from "../support/cli.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

describe("SIGHUP (real child process)", () => {
  it("is logged as not supported yet and the gateway keeps serving every request", async () => {
    const upstream = await startUpstream((_req, res) => res.end("served"));
    const cli = startCli(
      tempFile(
        "gateway.yaml",
        `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: all
        backend: { url: "${upstream.url}" }
admin: { port: 0 }
logging: { format: json }
`,
      ),
    );
    const url = String((await cli.waitForLine((l) => l.listener === "main")).url);

    // Light traffic before, during and after the signal: sequential requests, bounded to 40.
    const statuses: Array<number | string> = [];
    let signalled = false;
    for (let i = 0; i < 40; i++) {
      if (i === 10) {
        cli.child.kill("SIGHUP");
        signalled = true;
      }
      if (i === 20) await Promise.race([cli.waitForLine((l) => l.signal === "SIGHUP"), cli.exited]); // today: the process dies
      statuses.push(await rawRequest(`${url}/n${i}`).then((r) => r.status, (e: Error) => e.message));
    }

    expect(signalled).toBe(true);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(cli.child.exitCode).toBeNull();
    expect(cli.child.signalCode).toBeNull();
    const line = cli.lines.find((l) => l.signal === "SIGHUP")!;
    expect(String(line.msg)).toMatch(/reload is not supported/);
  });
});
