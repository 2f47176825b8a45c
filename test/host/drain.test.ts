import { afterEach, describe, expect, it } from "vitest";
import { startCli, tempFile } from "../support/cli.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

/** An upstream that holds every request until `release()` is called. */
async function heldUpstream() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  const upstream = await startUpstream((_req, res) => {
    arrived();
    void released.then(() => res.end("finished after SIGTERM"));
  });
  return { upstream, release, requestArrived };
}

function gatewayYaml(upstreamUrl: string, drainTimeoutMs: number) {
  return `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: held
        backend: { url: "${upstreamUrl}" }
admin: { port: 0 }
logging: { format: json }
shutdown: { drainTimeoutMs: ${drainTimeoutMs} }
`;
}

describe("SIGTERM draining (real child process)", () => {
  it("stops accepting, finishes in-flight requests, then exits 0", async () => {
    const { upstream, release, requestArrived } = await heldUpstream();
    const cli = startCli(tempFile("gateway.yaml", gatewayYaml(upstream.url, 10_000)));
    const listening = await cli.waitForLine((l) => l.listener === "main");
    const url = String(listening.url);

    const inFlight = rawRequest(`${url}/slow`);
    inFlight.catch(() => undefined); // awaited below; a failure must fail the test there, not as an unhandled rejection
    await requestArrived;
    cli.child.kill("SIGTERM");
    await cli.waitForLine((l) => l.msg === "draining");

    await expect(rawRequest(`${url}/new`)).rejects.toThrow(/ECONNREFUSED/);
    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("finished after SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(cli.lines.some((l) => l.msg === "stopped")).toBe(true);
  });

  it("cuts requests still running at the deadline and exits", async () => {
    const { upstream, requestArrived } = await heldUpstream();
    const cli = startCli(tempFile("gateway.yaml", gatewayYaml(upstream.url, 300)));
    const listening = await cli.waitForLine((l) => l.listener === "main");
    const inFlight = rawRequest(`${String(listening.url)}/never`).then(
      () => "answered",
      () => "cut",
    );
    await requestArrived;
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(await inFlight).toBe("cut");
  });
});
