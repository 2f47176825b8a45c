import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, stopAll } from "../../../test/support/servers.js";
import { countingUpstream } from "../../../test/support/counting-upstream.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";
import { plugin } from "../../../test/runtime/support/policies.js";

afterEach(stopAll);

const plugins = `plugins:
  direct-response:
    path: ${builtPolicy("direct-response")}
    capabilities: { expression: true }
${plugin("tag")}`;

describe("direct-response (gateway)", () => {
  it("runs the README example: a templated JSON mock and a maintenance page, never calling the upstream", async () => {
    const upstream = await countingUpstream();
    const gateway = await startTestGateway(readmeExample("direct-response", upstream.url));

    const mock = await rawRequest(gateway.url("/users/7"));
    expect(mock.status, mock.body.toString()).toBe(200);
    expect(mock.headers["content-type"]).toBe("application/json");
    expect(mock.headers["x-mock"]).toBe("true");
    expect(mock.headers["x-request-id"]).toMatch(/.+/);
    expect(mock.json()).toEqual({ path: "/users/7", name: "Mock user", method: "GET" });

    const down = await rawRequest(gateway.url("/billing/invoices"), { method: "POST", body: "{}" });
    expect(down.status).toBe(503);
    expect(down.headers["retry-after"]).toBe("3600");
    expect(down.json()).toEqual({ code: "MAINTENANCE", message: "Billing is down for maintenance." });
    expect(upstream.hits()).toBe(0);
  });

  it("templates from metadata of an earlier policy, with a text body and a content-type override", async () => {
    const upstream = await countingUpstream();
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: hello
        policies:
          request:
            - { plugin: tag, with: { label: alice } }
            - plugin: direct-response
              with:
                status: 202
                headers: { content-type: text/html, x-consumer: { expression: metadata.last } }
                body: { expression: '"<p>Hello " + metadata.last + " at " + request.path + "</p>"' }
        backend: { url: ${upstream.url} }`)}`,
    );
    const response = await rawRequest(gateway.url("/welcome"));
    expect(response.status).toBe(202);
    expect(response.headers["content-type"]).toBe("text/html");
    expect(response.headers["x-consumer"]).toBe("alice");
    expect(response.body.toString()).toBe("<p>Hello alice at /welcome</p>");
    expect(upstream.hits()).toBe(0);
  });

  it("answers 400 HEADER_VALUE_INVALID when a request value would put CR/LF into a header; empty body on a missing key", async () => {
    const upstream = await countingUpstream();
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: echo-user
        policies:
          request:
            - plugin: direct-response
              with:
                headers: { x-user: { expression: "has(request.query.user) ? request.query.user : null" } }
                body: { expression: request.query.user }
        backend: { url: ${upstream.url} }`)}`,
    );
    const injected = await rawRequest(gateway.url("/?user=bob%0d%0aset-cookie:%20admin=1"));
    expect(injected.status).toBe(400);
    expect(injected.headers["set-cookie"]).toBeUndefined();
    expect(injected.json()).toEqual({ code: "HEADER_VALUE_INVALID", header: "x-user" });
    const fine = await rawRequest(gateway.url("/?user=bob"));
    expect([fine.status, fine.headers["x-user"], fine.body.toString()]).toEqual([200, "bob", "bob"]);
    const absent = await rawRequest(gateway.url("/"));
    expect([absent.status, absent.headers["x-user"], absent.body.length]).toEqual([200, undefined, 0]);
    expect(upstream.hits()).toBe(0);
  });

  it("refuses at load, naming the YAML line, a bad status, body with json, and a header value with CR/LF", async () => {
    const start = startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request:
            - { plugin: direct-response, with: { status: 700 } }
            - { plugin: direct-response, with: { body: x, json: { a: 1 } } }
            - { plugin: direct-response, with: { headers: { x-a: "one\\r\\nx-b: two" } } }
        backend: { echo: true }`)}`,
    );
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    const message = String(((await start.catch((e: unknown) => e)) as Error).message);
    for (const index of [0, 1, 2]) expect(message).toMatch(new RegExp(`test\\.yaml:\\d+:\\d+ .*policies\\.request\\[${index}\\]\\.with`));
  });
});
