import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { deadPort, rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";
import { echoUpstream } from "../../../test/support/counting-upstream.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";
import { onePolicyGateway } from "../../../test/support/one-policy-gateway.js";

// Through a running gateway, against an RFC 7662 introspection endpoint served by node:http on 127.0.0.1.

afterEach(stopAll);

const now = () => Math.floor(Date.now() / 1000);
const SECRET = "s3cret:with/odd&chars";
type Seen = { url: string; headers: Record<string, string> };

interface Call {
  authorization: string | undefined;
  form: URLSearchParams;
}

/** An introspection endpoint answering from `tokens` (unknown tokens are inactive), recording each call. */
async function introspectionEndpoint(tokens: Record<string, Record<string, unknown>>, options: { delayMs?: number; status?: number } = {}) {
  const calls: Call[] = [];
  const server = await startUpstream(async (req, res) => {
    const form = new URLSearchParams(await text(req));
    calls.push({ authorization: req.headers.authorization, form });
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const basic = `Basic ${Buffer.from(`gateway:${encodeURIComponent(SECRET).replace(/%20/g, "+")}`).toString("base64")}`;
    const posted = form.get("client_id") === "gateway" && form.get("client_secret") === SECRET;
    if (req.method !== "POST" || (req.headers.authorization !== basic && !posted)) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(options.status ?? 200, { "content-type": "application/json" });
    res.end(JSON.stringify(tokens[form.get("token") ?? ""] ?? { active: false }));
  });
  return { ...server, calls };
}

async function text(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += (chunk as Buffer).toString();
  return body;
}

const bearer = (token: string, method = "GET") => ({ method, headers: { authorization: `Bearer ${token}`, "x-user": "forged" } });

describe("oauth2-introspection in a gateway", () => {
  it("runs the README example: active tokens reach the upstream with their claims, scopes gate writes, answers are cached", async () => {
    const endpoint = await introspectionEndpoint({
      writer: { active: true, sub: "alice", client_id: "shop", aud: ["orders-api"], scope: "orders:read orders:write", exp: now() + 600 },
      reader: { active: true, sub: "bob", client_id: "shop", aud: "orders-api", scope: "orders:read", exp: now() + 600 },
      elsewhere: { active: true, sub: "carol", aud: "billing-api", exp: now() + 600 },
    });
    const upstream = await echoUpstream();
    const yaml = readmeExample("oauth2-introspection", upstream.url)
      .replaceAll("https://idp.example.com", endpoint.url)
      .replace('"idp.example.com"', `"${new URL(endpoint.url).host}"`);
    const gateway = await startTestGateway(yaml, { env: { INTROSPECTION_SECRET: SECRET } });

    const read = await rawRequest(gateway.url("/orders/7"), bearer("writer"));
    expect(read.status).toBe(200);
    const seen = read.json<Seen>();
    expect(seen.headers["x-user"]).toBe("alice");
    expect(seen.headers["x-client"]).toBe("shop");
    expect(seen.headers.authorization).toBeUndefined();
    expect(endpoint.calls[0]!.form.get("token_type_hint")).toBe("access_token");

    expect((await rawRequest(gateway.url("/orders"), bearer("writer", "POST"))).status).toBe(200);
    expect(endpoint.calls).toHaveLength(1); // the second request was answered from the cache

    const denied = await rawRequest(gateway.url("/orders"), bearer("reader", "POST"));
    expect(denied.status).toBe(403); // authorize: reader lacks orders:write
    expect((await rawRequest(gateway.url("/orders"), bearer("reader"))).status).toBe(200);

    const wrongAudience = await rawRequest(gateway.url("/orders"), bearer("elsewhere"));
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.json()).toMatchObject({ code: "AUDIENCE_INVALID" });
    const inactive = await rawRequest(gateway.url("/orders"), bearer("unknown"));
    expect(inactive.json()).toMatchObject({ code: "TOKEN_INACTIVE" });
    expect(inactive.headers["www-authenticate"]).toBe('Bearer realm="api", error="invalid_token"');
    const missing = await rawRequest(gateway.url("/orders"));
    expect(missing.status).toBe(401);
    expect(missing.json()).toMatchObject({ code: "TOKEN_MISSING" });
    expect(upstream.hits()).toBe(3); // writer twice, reader once
  });

  const gatewayFor = (endpointUrl: string, options: string, upstreamUrl: string) =>
    onePolicyGateway(
      "oauth2-introspection",
      `{ http: { allow: ["${new URL(endpointUrl).host}"] }, kv: true, clock: true, crypto: true }`,
      `{ endpoint: "${endpointUrl}/introspect", clientId: gateway, clientSecret: "${SECRET}", ${options} }`,
      upstreamUrl,
    );

  it("keeps an answer no longer than cache.maxSeconds or the token's exp, and checks scopes with a 403 challenge", async () => {
    const tokens: Record<string, Record<string, unknown>> = { t: { active: true, sub: "alice", scope: "a b", exp: now() + 600 } };
    const endpoint = await introspectionEndpoint(tokens);
    const upstream = await echoUpstream();
    const gateway = await gatewayFor(endpoint.url, "scopes: [a], cache: { maxSeconds: 1 }", upstream.url);
    expect((await rawRequest(gateway.url("/"), bearer("t"))).status).toBe(200);
    expect((await rawRequest(gateway.url("/"), bearer("t"))).status).toBe(200);
    expect(endpoint.calls).toHaveLength(1);
    tokens.t = { active: false }; // revoked at the server
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await rawRequest(gateway.url("/"), bearer("t"))).json()).toMatchObject({ code: "TOKEN_INACTIVE" });
    expect(endpoint.calls).toHaveLength(2);

    tokens.narrow = { active: true, scope: "b", exp: now() + 600 };
    const narrow = await rawRequest(gateway.url("/"), bearer("narrow"));
    expect(narrow.status).toBe(403);
    expect(narrow.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_scope", scope="a"');

    tokens.late = { active: true, scope: "a", exp: now() - 5 };
    expect((await rawRequest(gateway.url("/"), bearer("late"))).json()).toMatchObject({ code: "TOKEN_EXPIRED" });
  });

  it("puts the claims in metadata oauth2 by default, where CEL reads them", async () => {
    const endpoint = await introspectionEndpoint({ t: { active: true, sub: "alice", client_id: "batch", exp: now() + 600 } });
    const upstream = await echoUpstream();
    const gateway = await startTestGateway(`
plugins:
  oauth2-introspection:
    path: ${builtPolicy("oauth2-introspection")}
    capabilities: { http: { allow: ["${new URL(endpoint.url).host}"] }, kv: true, clock: true, crypto: true }
    limits: { timeoutMs: 3000 }
  headers: { path: ${builtPolicy("headers")}, capabilities: { expression: true } }
${routesYaml(`
      - name: all
        policies:
          request:
            - plugin: oauth2-introspection
              with: { endpoint: "${endpoint.url}/introspect", clientId: gateway, clientSecret: "${SECRET}" }
            - plugin: headers
              when: 'metadata.oauth2.client_id == "batch"'
              with: { set: { x-subject: { expression: metadata.oauth2.sub } } }
        backend: { url: ${upstream.url} }
`)}`);
    expect((await rawRequest(gateway.url("/"), bearer("t"))).json<Seen>().headers["x-subject"]).toBe("alice");
  });

  it("sends the credentials in the form with clientAuth: post", async () => {
    const endpoint = await introspectionEndpoint({ t: { active: true, sub: "alice" } });
    const upstream = await echoUpstream();
    const gateway = await gatewayFor(endpoint.url, 'clientAuth: post, tokenTypeHint: ""', upstream.url);
    expect((await rawRequest(gateway.url("/"), bearer("t"))).status).toBe(200);
    expect(endpoint.calls[0]!.authorization).toBeUndefined();
    expect(endpoint.calls[0]!.form.has("token_type_hint")).toBe(false);
  });

  it("fails closed by default (503, never cached) and open when configured", async () => {
    const upstream = await echoUpstream();
    const down = `http://127.0.0.1:${await deadPort()}`;
    const closed = await gatewayFor(down, "claimsToHeaders: { sub: x-user }", upstream.url);
    const refused = await rawRequest(closed.url("/"), bearer("t"));
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ code: "INTROSPECTION_UNAVAILABLE", message: "the introspection endpoint cannot be reached" });
    expect(refused.headers["retry-after"]).toBe("5");

    const open = await gatewayFor(down, "failureMode: open, claimsToHeaders: { sub: x-user }", upstream.url);
    const through = await rawRequest(open.url("/"), bearer("t"));
    expect(through.status).toBe(200);
    expect(through.json<Seen>().headers["x-user"]).toBeUndefined(); // the forged header is removed

    const broken = await introspectionEndpoint({ t: { active: true } }, { status: 500 });
    const failing = await gatewayFor(broken.url, "cache: { maxSeconds: 60 }", upstream.url);
    expect((await rawRequest(failing.url("/"), bearer("t"))).json()).toMatchObject({ message: "the introspection endpoint answered 500" });
    await rawRequest(failing.url("/"), bearer("t"));
    expect(broken.calls).toHaveLength(2);

    const slow = await introspectionEndpoint({ t: { active: true } }, { delayMs: 400 });
    const impatient = await gatewayFor(slow.url, "timeoutMs: 100", upstream.url);
    expect((await rawRequest(impatient.url("/"), bearer("t"))).json()).toMatchObject({ code: "INTROSPECTION_UNAVAILABLE" });
  });

  it("refuses a configuration with an unknown field or a bad failure mode, naming the line", async () => {
    const upstream = await echoUpstream();
    await expect(gatewayFor("http://127.0.0.1:1", "scopez: [a]", upstream.url)).rejects.toThrow(/test\.yaml:1[0-9]:\d+ .*scopez/);
    await expect(gatewayFor("http://127.0.0.1:1", "failureMode: maybe", upstream.url)).rejects.toThrow(/failureMode/);
  });
});
