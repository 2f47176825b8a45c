import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { buildFixture } from "./support/fixtures.js";

afterEach(stopAll);

describe("a policy's abort message in the gateway", () => {
  it("logs 'message at file:line:column' and shows it on /plugins, keeps it from the client, and serves the next request", async () => {
    const { wasmPath } = await buildFixture("trapping");
    const gateway = await startTestGateway(`
plugins:
  trapping:
    path: ${wasmPath}
runtime: { workers: 1 }
${routesYaml(`
      - name: all
        policies: { request: [ { plugin: trapping } ] }
        backend: { echo: true }`)}
`);
    const trapped = await rawRequest(gateway.url("/assert"));
    expect(trapped.status).toBe(500);
    const body = trapped.json<{ code: string; message: string; requestId: string }>();
    expect(body.code).toBe("PCS_ERR_POLICY_TRAPPED");
    expect(JSON.stringify(body)).not.toContain("tenant header expected"); // the author's text stays in the log
    const expected = 'policy "trapping": trapped in on-request: tenant header expected at assembly/index.ts:12:5';
    const lines = gateway.logs.filter((line) => Object.values(line).some((value) => String(value).includes(expected)));
    expect(lines.length, JSON.stringify(gateway.logs.filter((l) => l.code === "PCS_ERR_POLICY_TRAPPED"))).toBeGreaterThan(0);
    expect(lines.some((line) => JSON.stringify(line).includes(body.requestId))).toBe(true);

    const plugins = (await rawRequest(`http://127.0.0.1:${gateway.admin!.port}/plugins`)).json<Record<string, { lastFailure?: unknown }>>();
    expect(plugins.trapping?.lastFailure).toMatchObject({ code: "PCS_ERR_POLICY_TRAPPED", message: expected });

    const next = await rawRequest(gateway.url("/fine"));
    expect(next.status).toBe(200);
  });
});
