import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { deadPort, rawRequest, startUpstream, stopAll } from "../support/servers.js";
import { plugin } from "./support/policies.js";

afterEach(stopAll);

const tag = (label: string, when?: string) => `{ plugin: tag, with: { label: ${label} }${when ? `, when: '${when}'` : ""} }`;
/** A policies block, in YAML flow style, with one tag policy in each flow. */
const lists = (label: string) => ` { request: [${tag(label)}], response: [${tag(label)}], fault: [${tag(label)}] }`;

/** One route with tag policies at all four levels (L, R, O for POST, B) on the given backend. */
function orderedConfig(backend: string): string {
  return `
plugins:
${plugin("tag")}
listeners:
  - name: test
    host: 127.0.0.1
    port: 0
    policies:${lists("L")}
    routes:
      - name: ordered
        match: { path: { prefix: / } }
        policies:${lists("R")}
        operations:
          POST:
            policies:${lists("O")}
        backend:
          ${backend}
          policies:${lists("B")}
`;
}

describe("policy order", () => {
  it("runs listener, route, operation and backend lists in that order in every flow", async () => {
    const upstream = await startUpstream((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ order: req.headers["x-order"], previous: req.headers["x-previous"] }));
    });
    const gateway = await startTestGateway(orderedConfig(`url: ${upstream.url}`));

    const post = await rawRequest(gateway.url("/things"), { method: "POST", body: "{}" });
    expect(post.status).toBe(200);
    expect(post.json()).toEqual({ order: "L, R, O, B", previous: "none, L, R, O" });
    expect(post.headers["x-response-order"]).toBe("L, R, O, B");

    // GET has no operation: its chain skips the operation level.
    const get = await rawRequest(gateway.url("/things"));
    expect(get.json()).toEqual({ order: "L, R, B", previous: "none, L, R" });
    expect(get.headers["x-response-order"]).toBe("L, R, B");
  });

  it("runs the fault flow in the same order, then the response flow, when the upstream is down", async () => {
    const gateway = await startTestGateway(orderedConfig(`url: http://127.0.0.1:${await deadPort()}`));
    const response = await rawRequest(gateway.url("/things"), { method: "POST", body: "{}" });
    expect(response.status).toBe(502);
    expect(response.headers["x-fault-order"]).toBe("L, R, O, B");
    expect(response.headers["x-fault-code"]).toContain("PCS_ERR_UPSTREAM_UNREACHABLE");
    expect(response.headers["x-response-order"]).toBe("L, R, O, B");
    expect(response.json()).toMatchObject({ code: "PCS_ERR_UPSTREAM_UNREACHABLE" });
  });

  it("substitutes ${env.NAME} inside a policy's with: block", async () => {
    const gateway = await startTestGateway(
      `
plugins:
${plugin("tag")}
${routesYaml(`
      - name: echo
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: tag, with: { label: "\${env.TAG_LABEL}" } } ] }
        backend: { echo: true }`)}
`,
      { env: { TAG_LABEL: "from-env" } },
    );
    const echoed = (await rawRequest(gateway.url("/"))).json<{ headers: Record<string, string> }>();
    expect(echoed.headers["x-order"]).toBe("from-env");
  });

  it("skips a policy whose when: condition is false", async () => {
    const gateway = await startTestGateway(`
plugins:
${plugin("tag")}
${routesYaml(`
      - name: echo
        match: { path: { prefix: / } }
        policies:
          request:
            - ${tag("always")}
            - ${tag("flagged", '"x-flag" in request.headers && request.headers["x-flag"] == "on"')}
            - ${tag("v2", 'metadata.last == "flagged"')}
        backend: { echo: true }`)}
`);
    const off = (await rawRequest(gateway.url("/"))).json<{ headers: Record<string, string> }>();
    expect(off.headers["x-order"]).toBe("always");
    const on = (await rawRequest(gateway.url("/"), { headers: { "x-flag": "on" } })).json<{ headers: Record<string, string> }>();
    expect(on.headers["x-order"]).toBe("always, flagged, v2");
  });
});
