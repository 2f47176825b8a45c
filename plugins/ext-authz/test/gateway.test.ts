import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway } from "../../../test/support/gateway.js";
import { deadPort, rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";
import { echoUpstream } from "../../../test/support/counting-upstream.js";
import { readmeExample } from "../../../test/support/plugin-examples.js";
import { onePolicyGateway } from "../../../test/support/one-policy-gateway.js";

// Through a running gateway, against an Envoy-style HTTP authorization service served by node:http on 127.0.0.1.

afterEach(stopAll);

type Seen = { url: string; headers: Record<string, string> };
interface Check {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** The authorization service: alice is allowed, bob denied (403 with a JSON reason), no token 401, "boom" 500. */
async function authzService(options: { delayMs?: number } = {}) {
  const checks: Check[] = [];
  const service = await startUpstream(async (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    for await (const chunk of req) body += (chunk as Buffer).toString();
    checks.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const auth = req.headers.authorization;
    if (auth === "Bearer alice") {
      res.writeHead(200, { "x-user-id": "alice", "x-user-roles": "admin", "x-internal": "not for upstream" }).end("ignored");
    } else if (auth === "Bearer bob") {
      res.writeHead(403, { "content-type": "application/json", "www-authenticate": 'Bearer error="insufficient_scope"', "x-debug": "secret" });
      res.end(JSON.stringify({ reason: "bob is suspended" }));
    } else if (auth === "Bearer boom") {
      res.writeHead(500).end("crash");
    } else {
      res.writeHead(401, { "www-authenticate": 'Bearer realm="api"' }).end("who are you?");
    }
  });
  return { ...service, checks };
}

const as = (user: string, extra: Record<string, string> = {}, method = "GET") => ({
  method,
  headers: { authorization: `Bearer ${user}`, "x-tenant": "acme", cookie: "session=1", "x-user-id": "forged", ...extra },
});

describe("ext-authz in a gateway", () => {
  it("runs the README example: allowed requests carry the service's headers, denials are the service's answer, decisions are cached by key", async () => {
    const service = await authzService();
    const upstream = await echoUpstream();
    const yaml = readmeExample("ext-authz", upstream.url)
      .replace("http://authz.internal:9191", service.url)
      .replace('"authz.internal:9191"', `"${new URL(service.url).host}"`);
    const gateway = await startTestGateway(yaml);

    const allowed = await rawRequest(gateway.url("/api/orders?page=2"), as("alice"));
    expect(allowed.status).toBe(200);
    const seen = allowed.json<Seen>();
    expect(seen.headers["x-user-id"]).toBe("alice");
    expect(seen.headers["x-user-roles"]).toBe("admin");
    expect(seen.headers["x-internal"]).toBeUndefined();
    const check = service.checks[0]!;
    expect(check).toMatchObject({ method: "GET", url: "/check/api/orders?page=2", body: "" });
    expect(check.headers).toMatchObject({ authorization: "Bearer alice", "x-tenant": "acme", "x-forwarded-proto": "http" });
    expect(check.headers.cookie).toBeUndefined();

    await rawRequest(gateway.url("/api/orders?page=2"), as("alice"));
    expect(service.checks).toHaveLength(1); // same method, path and token: from the cache
    expect((await rawRequest(gateway.url("/api/orders"), as("alice", {}, "DELETE"))).status).toBe(200);
    expect(service.checks).toHaveLength(2);

    const denied = await rawRequest(gateway.url("/api/orders"), as("bob"));
    expect(denied.status).toBe(403);
    expect(denied.json()).toEqual({ reason: "bob is suspended" });
    expect(denied.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope"');
    expect(denied.headers["x-debug"]).toBeUndefined(); // not in clientHeaders
    await rawRequest(gateway.url("/api/orders"), as("bob"));
    expect(service.checks).toHaveLength(3); // the denial was cached too

    const anonymous = await rawRequest(gateway.url("/api/orders"));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.toString()).toBe("who are you?");
    expect(upstream.hits()).toBe(3);
  });

  const gatewayFor = (serviceUrl: string, options: string, upstreamUrl: string) =>
    onePolicyGateway(
      "ext-authz",
      `{ http: { allow: ["${new URL(serviceUrl).host}"] }, kv: true, crypto: true, expression: true }`,
      `{ url: "${serviceUrl}/", upstreamHeaders: [x-user-id], ${options} }`,
      upstreamUrl,
    );

  it("forwards the body up to maxBytes, refusing or cutting a larger one", async () => {
    const service = await authzService();
    const upstream = await echoUpstream();
    const strict = await gatewayFor(service.url, "body: { maxBytes: 5 }", upstream.url);
    expect((await rawRequest(strict.url("/x"), { ...as("alice", {}, "POST"), body: "hello" })).status).toBe(200);
    expect(service.checks[0]).toMatchObject({ method: "POST", url: "/x", body: "hello" });
    expect(service.checks[0]!.headers["x-envoy-auth-partial-body"]).toBe("false");
    const large = await rawRequest(strict.url("/x"), { ...as("alice", {}, "POST"), body: "hello world" });
    expect(large.status).toBe(413);
    expect(service.checks).toHaveLength(1);

    const lenient = await gatewayFor(service.url, "body: { maxBytes: 5, allowPartial: true }", upstream.url);
    const cut = await rawRequest(lenient.url("/x"), { ...as("alice", {}, "POST"), body: "hello world" });
    expect(cut.status).toBe(200);
    expect(service.checks[1]).toMatchObject({ body: "hello" });
    expect(service.checks[1]!.headers["x-envoy-auth-partial-body"]).toBe("true");
  });

  it("fails closed with statusOnError when the service is down, slow or answers 5xx, and open when configured", async () => {
    const upstream = await echoUpstream();
    const down = `http://127.0.0.1:${await deadPort()}`;
    const closed = await gatewayFor(down, "", upstream.url);
    const refused = await rawRequest(closed.url("/x"), as("alice"));
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ code: "AUTHZ_UNAVAILABLE" });

    const service = await authzService();
    const crashing = await gatewayFor(service.url, "statusOnError: 503, cache: { key: request.headers.authorization }", upstream.url);
    expect((await rawRequest(crashing.url("/x"), as("boom"))).status).toBe(503);
    expect((await rawRequest(crashing.url("/x"), as("boom"))).status).toBe(503);
    expect(service.checks).toHaveLength(2); // failures are never cached

    const open = await gatewayFor(down, "failureMode: open", upstream.url);
    const through = await rawRequest(open.url("/x"), as("alice"));
    expect(through.status).toBe(200);
    expect(through.json<Seen>().headers["x-user-id"]).toBeUndefined(); // the forged header is removed

    const slow = await authzService({ delayMs: 400 });
    const impatient = await gatewayFor(slow.url, "timeoutMs: 100", upstream.url);
    expect((await rawRequest(impatient.url("/x"), as("alice"))).json()).toMatchObject({ code: "AUTHZ_UNAVAILABLE" });
    expect(upstream.hits()).toBe(1);
  });

  it("does not hold a worker while the service thinks: 12 checks of 200 ms wait together, within a 100 ms policy budget", async () => {
    let inFlight = 0;
    let most = 0;
    const service = await startUpstream((_req, res) => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200).end();
      }, 200);
    });
    const upstream = await echoUpstream();
    const grants = `{ http: { allow: ["${new URL(service.url).host}"] }, kv: true, crypto: true, expression: true }`;
    const gateway = await onePolicyGateway("ext-authz", grants, `{ url: "${service.url}/", timeoutMs: 2000 }`, upstream.url, 100);
    const answers = await Promise.all(Array.from({ length: 12 }, () => rawRequest(gateway.url("/x"), as("alice"))));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(most).toBeGreaterThanOrEqual(8); // blocking calls: at most one per worker
  });

  it("refuses an invalid cache key expression or an unknown field when the configuration loads", async () => {
    const upstream = await echoUpstream();
    await expect(gatewayFor("http://127.0.0.1:1", "cache: { key: 'request.method +' }", upstream.url)).rejects.toThrow(/cache\/key|cache\.key/);
    await expect(gatewayFor("http://127.0.0.1:1", "failure: open", upstream.url)).rejects.toThrow(/failure/);
  });
});
