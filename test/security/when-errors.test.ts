import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { recordingUpstream, type RecordingUpstream } from "../support/recording-upstream.js";
import { rawRequest, stopAll } from "../support/servers.js";

/**
 * Issue 12: a `when:` that failed to evaluate (an absent header) skipped its policy, so api-key
 * guarded by `when:` let unauthenticated requests through. Now the request fails closed with
 * PCS_ERR_POLICY_CONDITION, and a guarded condition (docs/policies.md) tolerates the absent header.
 */
let gateway: TestGateway;
let upstream: RecordingUpstream;
const apiKey = "plugin: api-key, with: { keys: [ { consumer: app, key: k1 } ] }";

beforeAll(async () => {
  upstream = await recordingUpstream();
  gateway = await startTestGateway(`
plugins:
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
${routesYaml(`
      - name: unguarded
        match: { path: { prefix: /unguarded } }
        policies:
          request:
            - { ${apiKey}, when: 'request.headers["x-from"] != "internal"' }
        backend: { url: ${upstream.url} }
      - name: guarded
        match: { path: { prefix: /guarded } }
        policies:
          request:
            - { ${apiKey}, when: '!("x-from" in request.headers) || request.headers["x-from"] != "internal"' }
        backend: { url: ${upstream.url} }
`)}`);
});

afterAll(stopAll);

describe("when: conditions that fail to evaluate", () => {
  it("fail the request closed with PCS_ERR_POLICY_CONDITION instead of skipping the api-key", async () => {
    const before = upstream.received.length;
    const response = await rawRequest(gateway.url("/unguarded/data"));
    expect(response.status).toBe(500);
    expect(response.json().code).toBe("PCS_ERR_POLICY_CONDITION");
    expect(upstream.received.length).toBe(before);
  });

  it("a condition guarded with `in` tolerates the absent header: the api-key runs and refuses", async () => {
    const before = upstream.received.length;
    expect((await rawRequest(gateway.url("/guarded/data"))).status).toBe(401);
    expect(upstream.received.length).toBe(before);
  });

  it("the guarded condition still skips the policy when it is false", async () => {
    const response = await rawRequest(gateway.url("/guarded/data"), { headers: { "x-from": "internal" } });
    expect(response.status).toBe(200);
  });
});
