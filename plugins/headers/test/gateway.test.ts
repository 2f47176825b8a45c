import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { deadPort, rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";
import { plugin } from "../../../test/runtime/support/policies.js";

afterEach(stopAll);

const headersPath = fileURLToPath(new URL("../build/headers.wasm", import.meta.url));
const plugins = `plugins:
  headers:
    path: ${headersPath}
    capabilities: { expression: true }
${plugin("tag")}`;

type Echo = { headers: Record<string, string> };

describe("headers (gateway)", () => {
  it("edits request headers from literals, ${env.NAME} and expressions over metadata, with repeated headers", async () => {
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request:
            - { plugin: tag, with: { label: alice } }
            - plugin: headers
              with:
                remove: [x-internal]
                set: { x-region: "\${env.REGION}", x-consumer: { expression: metadata.last }, x-missing: { expression: metadata.absent } }
                append: { via: portcullis }
        backend: { echo: true }`)}`,
      { env: { REGION: "eu-west" } },
    );
    const response = await rawRequest(gateway.url("/"), {
      headers: ["Host", "localhost", "X-Internal", "1", "x-internal", "2", "Via", "1.1 edge", "X-Consumer", "spoofed"],
    });
    expect(response.status, response.body.toString()).toBe(200);
    const { headers } = response.json<Echo>();
    expect(headers["x-internal"]).toBeUndefined();
    expect(headers["x-region"]).toBe("eu-west");
    expect(headers["x-consumer"]).toBe("alice");
    expect(headers["x-missing"]).toBeUndefined();
    expect(headers.via).toBe("1.1 edge, portcullis");
  });

  it("edits response headers of upstream answers and of the gateway's own errors", async () => {
    const upstream = await startUpstream((_req, res) => {
      res.setHeader("server", "leaky/1.0");
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.end("ok");
    });
    const response = (backend: string) => `
        policies:
          response: [ { plugin: headers, with: { remove: [server], set: { x-served-by: products }, append: { set-cookie: "c=3" } } } ]
        backend: { url: "${backend}" }`;
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: down
        match: { path: { prefix: /down } }${response(`http://127.0.0.1:${await deadPort()}`)}
      - name: up${response(upstream.url)}`)}`,
    );
    const ok = await rawRequest(gateway.url("/"));
    expect(ok.status).toBe(200);
    expect(ok.headers.server).toBeUndefined();
    expect(ok.headers["x-served-by"]).toBe("products");
    expect(ok.headers["set-cookie"]).toEqual(["a=1", "b=2", "c=3"]);
    const failed = await rawRequest(gateway.url("/down"));
    expect(failed.status).toBe(502);
    expect(failed.headers["x-served-by"]).toBe("products");
  });

  it("answers 400 HEADER_VALUE_INVALID when a request value would put CR/LF into a header", async () => {
    const gateway = await startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request: [ { plugin: headers, with: { set: { x-user: { expression: "has(request.query.user) ? request.query.user : null" } } } } ]
        backend: { echo: true }`)}`,
    );
    const injected = await rawRequest(gateway.url("/?user=bob%0d%0ax-admin:%20true"));
    expect(injected.status).toBe(400);
    expect(injected.json()).toEqual({ code: "HEADER_VALUE_INVALID", header: "x-user" });
    const fine = await rawRequest(gateway.url("/?user=bob"));
    expect(fine.json<Echo>().headers["x-user"]).toBe("bob");
    const absent = await rawRequest(gateway.url("/"));
    expect(absent.json<Echo>().headers["x-user"]).toBeUndefined();
  });

  it("refuses at load, naming the YAML line, a literal value with CR/LF and an invalid header name", async () => {
    const start = startTestGateway(
      `${plugins}${routesYaml(`
      - name: api
        policies:
          request:
            - { plugin: headers, with: { set: { x-a: "one\\r\\nx-b: two" } } }
            - { plugin: headers, with: { append: { "bad name": "v" } } }
        backend: { echo: true }`)}`,
    );
    await expect(start).rejects.toMatchObject({ code: "PCS_ERR_CONFIG_INVALID" });
    const message = String(((await start.catch((e: unknown) => e)) as Error).message);
    expect(message).toMatch(/test\.yaml:\d+:\d+ .*policies\.request\[0\]\.with/);
    expect(message).toMatch(/test\.yaml:\d+:\d+ .*policies\.request\[1\]\.with/);
  });
});
