import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startCli, tempFile } from "../support/cli.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

/** One listener routing everything to `upstream`; the file is not watched, so only SIGHUP reloads it. */
const config = (upstream: string, extra = "") => `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: all
        backend: { url: "${upstream}"${extra} }
admin: { port: 0 }
logging: { format: json }
reload: { watch: false }
`;

describe("SIGHUP (real child process)", () => {
  it("reloads the configuration; a bad one is refused with its line and the process keeps serving the last good one", async () => {
    const one = await startUpstream((_req, res) => res.end("one"));
    const two = await startUpstream((_req, res) => res.end("two"));
    const file = tempFile("gateway.yaml", config(one.url));
    const cli = startCli(file);
    const url = String((await cli.waitForLine((l) => l.listener === "main")).url);

    // Sequential traffic the whole time, bounded to 400 requests or 20 s.
    const answers: string[] = [];
    let stop = false;
    const deadline = Date.now() + 20_000;
    const traffic = (async () => {
      for (let i = 0; i < 400 && !stop && Date.now() < deadline; i++) {
        answers.push(
          await rawRequest(`${url}/n${i}`).then(
            (r) => `${r.status} ${r.body.toString()}`,
            (e: Error) => e.message,
          ),
        );
      }
    })();
    const served = async (body: string) => {
      const from = answers.length;
      while (!answers.slice(from).includes(`200 ${body}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };

    try {
      await served("one");
      writeFileSync(file, config(two.url));
      cli.child.kill("SIGHUP");
      const applied = await cli.waitForLine((l) => String(l.msg).startsWith("configuration reloaded"));
      expect(applied.reload).toMatchObject({ trigger: "signal", generation: 2 });
      await served("two");

      // A typo: refused with the file's line, logged with its code; generation 2 keeps serving.
      writeFileSync(file, config(one.url, ", timeout: { connectMs: 100 }"));
      cli.child.kill("SIGHUP");
      const refused = await cli.waitForLine((l) => String(l.msg).startsWith("configuration reload refused"));
      expect(refused.code).toBe("PCS_ERR_CONFIG_INVALID");
      expect(String(refused.msg)).toContain(`${file}:8:`);
      expect(String(refused.msg)).toContain('unknown key "timeout"');
      const after = answers.length;
      await served("two");
      expect(answers.slice(after).filter((a) => a !== "200 two")).toEqual([]);
    } finally {
      stop = true;
      await traffic;
    }

    expect(answers.filter((a) => !a.startsWith("200 "))).toEqual([]);
    expect(answers).toContain("200 one");
    expect(answers.at(-1)).toBe("200 two");
    expect(cli.child.exitCode).toBeNull();
    expect(cli.child.signalCode).toBeNull();
  });
});
