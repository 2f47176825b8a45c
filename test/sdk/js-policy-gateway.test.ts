import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildJsPolicy } from "../../plugins-js/build.mjs";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { type RecordingUpstream, recordingUpstream } from "../support/recording-upstream.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { policyPath } from "../runtime/support/policies.js";

const PROJECT = fileURLToPath(new URL("../../plugins-js/header-stamp/", import.meta.url));
let gateway: TestGateway;
let upstream: RecordingUpstream;

// One chain: the AssemblyScript `tag` fixture, then the JavaScript header-stamp, in one worker pool.
beforeAll(async () => {
  const { wasmPath } = await buildJsPolicy(PROJECT);
  upstream = await recordingUpstream();
  gateway = await startTestGateway(`
plugins:
  tag:
    path: ${policyPath("tag")}
  header-stamp:
    path: ${wasmPath}
    capabilities: { log: true, clock: true, crypto: true }
runtime: { workers: 2 }
${routesYaml(`
      - name: stamped
        policies:
          request:
            - { plugin: tag, with: { label: as-first } }
            - { plugin: header-stamp, with: { header: x-tenant, remove: [x-debug] } }
        backend: { url: "http://127.0.0.1:${upstream.port}" }`)}
`);
}, 240_000);
afterAll(stopAll);

describe("a JavaScript policy in the gateway, beside an AssemblyScript one", () => {
  it("edits the request the upstream receives", async () => {
    const before = Date.now();
    const answer = await rawRequest(gateway.url("/orders"), { headers: { "x-tenant": "acme", "x-debug": "on" } });
    expect(answer.status).toBe(200);
    const seen = upstream.received.at(-1)!;
    expect(seen.headers["x-order"]).toBe("as-first");
    expect(seen.headers["x-tenant-digest"]).toBe(createHash("sha256").update("acme").digest("hex"));
    expect(Number(seen.headers["x-stamped-at"])).toBeGreaterThanOrEqual(before);
    expect(seen.headers["x-debug"]).toBeUndefined();
  });

  it("answers what the policy said when it rejects, and the upstream sees nothing", async () => {
    const count = upstream.received.length;
    const answer = await rawRequest(gateway.url("/orders"));
    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.json()).toEqual({ error: "missing x-tenant" });
    expect(upstream.received.length).toBe(count);
  });

  it("fails a request whose handling throws with a 500, logs the JS error, and serves the next one", async () => {
    const thrown = await rawRequest(gateway.url("/orders"), { headers: { "x-tenant": "%E0%A4%A" } });
    expect(thrown.status).toBe(500);
    const body = thrown.json<{ code: string; requestId: string }>();
    expect(body.code).toBe("PCS_ERR_POLICY_TRAPPED");
    expect(JSON.stringify(body)).not.toContain("URIError");
    const logged = gateway.logs.find((line) => JSON.stringify(line).includes("URIError: malformed URI sequence at policy.js:"));
    expect(logged, JSON.stringify(gateway.logs.filter((l) => l.code === "PCS_ERR_POLICY_TRAPPED"))).toBeDefined();
    expect(JSON.stringify(logged)).toContain(body.requestId);

    for (const tenant of ["globex", "initech"]) {
      const next = await rawRequest(gateway.url("/orders"), { headers: { "x-tenant": tenant } });
      expect(next.status).toBe(200);
      expect(upstream.received.at(-1)!.headers["x-tenant-digest"]).toBe(createHash("sha256").update(tenant).digest("hex"));
    }
  });
});
