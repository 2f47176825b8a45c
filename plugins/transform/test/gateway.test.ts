import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, stopAll } from "../../../test/support/servers.js";
import { plugin } from "../../../test/runtime/support/policies.js";
import { readmeExample } from "../../../test/support/plugin-examples.js";
import { recordingUpstream } from "../../../test/support/recording-upstream.js";

afterEach(stopAll);

const transformPath = fileURLToPath(new URL("../build/transform.wasm", import.meta.url));
const plugins = `plugins:
  transform:
    path: ${transformPath}
    capabilities: { expression: true, regex: true }
${plugin("tag")}`;

/** An upstream that records what it received and answers `answer` with a body of its own. */
const recording = (answer: string, contentType = "application/json; charset=utf-8") =>
  recordingUpstream({ body: answer, headers: { "content-type": contentType } });

const transformConfig = `&transform
                request:
                  path: { template: "/users/{id}/{rest*}", to: "/v2/people/{id}/{rest}" }
                  method: PUT
                  query: { remove: [debug], set: { version: "2" }, add: { by: { expression: metadata.last } } }
                  body:
                    remove: [$.internal]
                    rename: [{ path: $.fullName, to: name }]
                    set: [{ path: $.meta.consumer, expression: metadata.last }]
                response:
                  body:
                    remove: ["$.accounts[*].internalId"]
                    rename: [{ path: $.owner_name, to: owner }]
                    set: [{ path: $.servedBy, value: gateway }]`;

describe("transform (gateway)", () => {
  it("rewrites path, method, query and JSON bodies both ways, with Content-Length right on both sides", async () => {
    const upstream = await recording('{"owner_name":"Ada","accounts":[{"internalId":99,"balance":1.10}]}');
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request:
            - { plugin: tag, with: { label: alice } }
            - plugin: transform
              with: ${transformConfig}
          response:
            - { plugin: transform, with: *transform }
        backend: { url: "${upstream.url}" }`)}`,
    );
    const requestBody = '{"fullName":"Ada Lovelace","internal":{"x":1},"amount":12345678901234567890}';
    const response = await rawRequest(gateway.url("/users/7/orders/1?debug=1&keep=%41&debug=2&version=1"), {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", "accept-encoding": "gzip" },
      body: requestBody,
    });
    expect(response.status, response.body.toString()).toBe(200);
    const seen = upstream.received[0]!;
    expect(seen.method).toBe("PUT");
    expect(seen.url).toBe("/v2/people/7/orders/1?keep=%41&version=2&by=alice");
    expect(seen.body).toBe('{"name":"Ada Lovelace","amount":12345678901234567890,"meta":{"consumer":"alice"}}');
    expect(seen.headers["content-length"]).toBe(String(Buffer.byteLength(seen.body)));
    expect(seen.headers["accept-encoding"]).toBe("identity");
    const expected = '{"owner":"Ada","accounts":[{"balance":1.10}],"servedBy":"gateway"}';
    expect(response.body.toString()).toBe(expected);
    expect(response.headers["content-length"]).toBe(String(Buffer.byteLength(expected)));
  });

  it("leaves a path that does not match, an empty body and a non-JSON body as they are", async () => {
    const upstream = await recording("plain text", "text/plain");
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request: [ { plugin: transform, with: { request: { path: { prefix: /api, to: /v1 }, body: { remove: [$.x] } } } } ]
          response: [ { plugin: transform, with: { response: { body: { remove: [$.x] } } } } ]
        backend: { url: "${upstream.url}" }`)}`,
    );
    const text = await rawRequest(gateway.url("/apis/x?a=1&a=2"), { method: "POST", headers: { "content-type": "text/plain" }, body: '{"x":1}' });
    expect(text.status).toBe(200);
    expect(text.body.toString()).toBe("plain text");
    expect(upstream.received[0]).toMatchObject({ url: "/apis/x?a=1&a=2", body: '{"x":1}' });
    const empty = await rawRequest(gateway.url("/api/y"), { method: "POST", headers: { "content-type": "application/json" } });
    expect(empty.status).toBe(200);
    expect(upstream.received[1]).toMatchObject({ url: "/v1/y", body: "" });
  });

  it("answers 400 TRANSFORM_BODY_NOT_JSON without calling the upstream when configured to reject", async () => {
    const upstream = await recording("{}");
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request: [ { plugin: transform, with: { request: { body: { set: [{ path: $.a, value: 1 }] } }, invalidBody: reject } } ]
        backend: { url: "${upstream.url}" }`)}`,
    );
    const response = await rawRequest(gateway.url("/"), { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({ code: "TRANSFORM_BODY_NOT_JSON" });
    expect(upstream.received).toHaveLength(0);
  });

  it("runs the README example as documented", async () => {
    const upstream = await recording('{"accounts":[{"internalId":9,"id":1}]}');
    const gateway = await startTestGateway(readmeExample("transform", upstream.url));
    const response = await rawRequest(gateway.url("/users/7/profile?debug=1&version=1"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"fullName":"Ada","internal":1}',
    });
    expect(response.status, response.body.toString()).toBe(200);
    expect(response.body.toString()).toBe('{"accounts":[{"id":1}],"servedBy":"gateway"}');
    const seen = upstream.received[0]!;
    expect(seen.url).toBe("/v2/people/7/profile?version=2&client=127.0.0.1");
    expect(JSON.parse(seen.body)).toEqual({ name: "Ada", meta: { requestId: expect.any(String) } });
  });

  it("rewrites the path by regex with captures, keeping the query", async () => {
    const upstream = await recording("{}");
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request: [ { plugin: transform, with: { request: { path: { regex: "^/api/v1/(?P<rest>.*)$", to: "/v2/\${rest}" } } } } ]
        backend: { url: "${upstream.url}" }`)}`,
    );
    expect((await rawRequest(gateway.url("/api/v1/users/7?x=1"))).status).toBe(200);
    expect((await rawRequest(gateway.url("/other"))).status).toBe(200);
    expect(upstream.received.map((s) => s.url)).toEqual(["/v2/users/7?x=1", "/other"]);
  });

  it("refuses to start without the regex grant, naming it", async () => {
    const start = startTestGateway(`plugins:
  transform:
    path: ${transformPath}
    capabilities: { expression: true }
${routesYaml(`
      - name: api
        policies:
          request: [ { plugin: transform, with: { request: { method: PUT } } } ]
        backend: { echo: true }`)}`);
    await expect(start).rejects.toThrow(/imports "regex" but is not granted it/);
  });

  it("fails the request (500) when a path expression gives something that is not a path", async () => {
    const upstream = await recording("{}");
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request: [ { plugin: transform, with: { request: { path: { expression: 'request.path.substring(1)' } } } } ]
        backend: { url: "${upstream.url}" }`)}`,
    );
    const response = await rawRequest(gateway.url("/x"));
    expect(response.status).toBe(500);
    expect(response.json()).toMatchObject({ code: "PCS_ERR_POLICY_FAILED" });
    expect(upstream.received).toHaveLength(0);
  });

  it("refuses a configuration that breaks the schema, naming the line", async () => {
    const start = startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request: [ { plugin: transform, with: { request: { path: { prefix: api, to: /v1 } } } } ]
        backend: { echo: true }`)}`,
    );
    await expect(start).rejects.toThrow(/test\.yaml:\d+[\s\S]*prefix/);
  });
});
