import { afterEach, describe, expect, it } from "vitest";
import { startCli, tempFile } from "../support/cli.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { plugin } from "../runtime/support/policies.js";

afterEach(stopAll);

const TAKEN = "policy worker threads booted while the gateway loaded: taken";

/** A tag policy on an echo route, with `runtime` as given; the misbehave policy on /bad loops on request. */
const yaml = (runtime: string) => `
plugins:
${plugin("tag")}
${plugin("misbehave")}
${runtime}
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: bad
        match: { path: { prefix: /bad } }
        policies: { request: [ { plugin: misbehave } ] }
        backend: { echo: true }
      - name: ok
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: tag, with: { label: early } } ] }
        backend: { echo: true }
`;

async function started(runtime: string, env: NodeJS.ProcessEnv = {}) {
  const cli = startCli(tempFile("gateway.yaml", yaml(runtime)), { env: { PORTCULLIS_TEST_CHANNEL: "", ...env } });
  const listening = await cli.waitForLine((line) => line.listener === "main");
  return { cli, url: String(listening.url) };
}

const label = async (url: string) => (await rawRequest(`${url}/x`)).json<{ headers: Record<string, string> }>().headers["x-order"];

describe("policy worker threads booted at process start (portcullis start)", () => {
  it("the first policy runtime takes them; they serve, and one replaced after a loop serves too", async () => {
    const { cli, url } = await started("runtime: { workers: 2 }");
    expect(cli.lines.some((line) => line.msg === TAKEN)).toBe(true);
    for (let i = 0; i < 4; i++) expect(await label(url)).toBe("early");
    const looping = await rawRequest(`${url}/bad`, { headers: { "x-misbehave": "loop" } });
    expect(looping.json()).toMatchObject({ code: "PCS_ERR_POLICY_TIMEOUT" });
    for (let i = 0; i < 4; i++) expect(await label(url)).toBe("early");
  }, 30_000);

  it("boots none when the file asks for the piscina channel, or for a worker count it cannot read before checking", async () => {
    for (const runtime of ["runtime: { channel: piscina, workers: 1 }", "runtime:\n  workers: ${env.WORKERS}"]) {
      const { cli, url } = await started(runtime, { WORKERS: "1" });
      expect(await label(url)).toBe("early");
      expect(cli.lines.some((line) => line.msg === TAKEN)).toBe(false);
      cli.child.kill("SIGTERM");
      await cli.exited;
    }
  }, 30_000);
});
