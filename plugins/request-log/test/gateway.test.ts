import { afterEach, describe, expect, it } from "vitest";
import { startCli, tempFile, type RunningCli } from "../../../test/support/cli.js";
import { rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";

afterEach(stopAll);

/** Policies log from worker threads straight to stdout, so the gateway runs as a child process here. */
async function startGateway(yaml: string): Promise<{ cli: RunningCli; url: string }> {
  const cli = startCli(tempFile("gateway.yaml", `${yaml}\nadmin: { port: 0 }\nlogging: { format: json }\n`));
  const listening = await Promise.race([
    cli.waitForLine((l) => typeof l.listener === "string" && typeof l.url === "string"),
    cli.exited.then((code) => Promise.reject(new Error(`the gateway exited (${code}) before listening`))),
  ]);
  return { cli, url: String(listening.url) };
}

const fieldsOf = (line: Record<string, unknown>) => line.fields as Record<string, string>;

/** The first line matching `test`, failing after 10 s with the messages seen so far. */
function lineMatching(cli: RunningCli, test: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no such log line within 10 s; messages: ${cli.lines.map((l) => String(l.msg)).join(" | ")}`)), 10_000);
  });
  return Promise.race([cli.waitForLine(test), timeout]).finally(() => clearTimeout(timer));
}

describe("request-log (gateway)", () => {
  it("runs the README example: request lines with redacted authorization, warn lines for 5xx answers only", async () => {
    const upstream = await startUpstream((req, res) => {
      res.statusCode = req.url === "/orders/broken" ? 503 : 200;
      res.setHeader("content-type", "application/json");
      res.end("{}");
    });
    const { cli, url } = await startGateway(readmeExample("request-log", upstream.url));
    const ok = await rawRequest(`${url}/orders/7`, { headers: { authorization: "Bearer secret-token", "x-tenant": "acme", "user-agent": "test/1" } });
    expect(ok.status).toBe(200);
    const request = await lineMatching(cli, (l) => l.msg === "order request" && fieldsOf(l).path === "/orders/7");
    expect(request).toMatchObject({ level: 30, policy: "request-log", requestId: ok.headers["x-request-id"] });
    expect(fieldsOf(request)).toEqual({
      method: "GET",
      path: "/orders/7",
      clientAddress: "127.0.0.1",
      "requestHeader.user-agent": "test/1",
      "requestHeader.authorization": "[redacted]",
      tenant: "acme",
    });

    const broken = await rawRequest(`${url}/orders/broken`, { method: "POST", body: "{}" });
    expect(broken.status).toBe(503);
    const failed = await lineMatching(cli, (l) => l.msg === "order failed");
    expect(failed.level).toBe(40);
    expect(fieldsOf(failed)).toEqual({ method: "POST", path: "/orders/broken", status: "503", "responseHeader.content-type": "application/json" });
    await lineMatching(cli, (l) => l.msg === "order request" && fieldsOf(l).path === "/orders/broken");

    expect(cli.lines.filter((l) => l.msg === "order failed")).toHaveLength(1);
    expect(JSON.stringify(cli.lines)).not.toContain("secret-token");
  });

  it("logs metadata in the response flow, and nothing for a route sampled at 0%", async () => {
    const upstream = await startUpstream((_req, res) => res.end("ok"));
    const { cli, url } = await startGateway(`plugins:
  request-log: { path: ${builtPolicy("request-log")}, capabilities: { log: true, random: true, expression: true } }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: quiet
        match: { path: { prefix: /quiet } }
        policies:
          request: [ { plugin: request-log, with: { message: quiet, samplePercent: 0 } } ]
        backend: { url: "${upstream.url}" }
      - name: loud
        policies:
          response: [ { plugin: request-log, with: { message: loud, request: [route], metadata: [absent], expressions: { client: request.clientAddress } } } ]
        backend: { url: "${upstream.url}" }`);
    expect((await rawRequest(`${url}/quiet`)).status).toBe(200);
    await lineMatching(cli, (l) => l.msg === "request" && l.path === "/quiet");
    expect((await rawRequest(`${url}/loud`)).status).toBe(200);
    const loud = await lineMatching(cli, (l) => l.msg === "loud");
    expect(fieldsOf(loud)).toEqual({ route: "loud", status: "200", client: "127.0.0.1" });
    expect(cli.lines.some((l) => l.msg === "quiet")).toBe(false);
  });
});
