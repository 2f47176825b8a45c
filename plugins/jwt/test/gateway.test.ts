import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";
import { echoUpstream } from "../../../test/support/counting-upstream.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";
import { signingKey, type SigningKey } from "./tokens.js";

afterEach(stopAll);

const tagPolicy = fileURLToPath(new URL("../../../test/runtime/fixtures/tag/build/tag.wasm", import.meta.url));
const now = () => Math.floor(Date.now() / 1000);
type Seen = { url: string; headers: Record<string, string> };

/** A token signed by `key`, valid for ten minutes from the real clock. */
async function token(key: SigningKey, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: "alice", exp: now() + 600, ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

/** A JWKS endpoint on loopback serving the public keys of `served` (changeable), counting its hits. */
async function jwksServer(initial: SigningKey[]) {
  const state = { served: initial, hits: 0 };
  const server = await startUpstream((_req, res) => {
    state.hits++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: state.served.map((k) => k.publicJwk) }));
  });
  return Object.assign(state, { url: server.url, host: new URL(server.url).host, close: () => server.close() });
}

const bearer = (value: string) => ({ headers: { authorization: `Bearer ${value}` } });

let rsaOld: SigningKey, rsaNew: SigningKey, ec: SigningKey;
beforeAll(async () => {
  [rsaOld, rsaNew, ec] = await Promise.all([signingKey("RS256", "2024"), signingKey("RS256", "2025"), signingKey("ES256", "ec")]);
});

const grants = (http: string[] = [], files: string[] = []) =>
  `{ crypto: true, clock: true, kv: true, http: { allow: ${JSON.stringify(http)} }, files: { allow: ${JSON.stringify(files)} } }`;

/** A gateway whose jwt policy reads RS256 keys from a JWKS server (serving `rsaOld` first). */
async function gatewayWithJwksUrl(jwksCache: string) {
  const upstream = await echoUpstream();
  const jwks = await jwksServer([rsaOld]);
  const gateway = await startTestGateway(`
plugins:
  jwt: { path: ${builtPolicy("jwt")}, capabilities: ${grants([jwks.host])} }
${routesYaml(`
      - name: all
        policies:
          request:
            - plugin: jwt
              with: { algorithms: [RS256], jwksUrl: "${jwks.url}/jwks.json", jwksCache: ${jwksCache} }
        backend: { url: ${upstream.url} }
`)}`);
  return { gateway, jwks };
}

describe("jwt in a gateway", () => {
  it("runs the README example: challenge, issuer/audience, claim header, token stripped", async () => {
    const upstream = await echoUpstream();
    const secret = new Uint8Array(32).fill(7);
    const gateway = await startTestGateway(readmeExample("jwt", upstream.url), { env: { JWT_SECRET: Buffer.from(secret).toString("base64url") } });
    const hs = { alg: "HS256", kid: "shop-2024", privateKey: secret, publicJwk: {} };
    const claims = { iss: "https://idp.example", aud: "products" };

    const missing = await rawRequest(gateway.url("/products"));
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe('Bearer realm="products"');
    expect(missing.json()).toMatchObject({ code: "JWT_MISSING" });

    const wrongAudience = await rawRequest(gateway.url("/products"), bearer(await token(hs, { ...claims, aud: "billing" })));
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.json()).toMatchObject({ code: "JWT_AUDIENCE_INVALID" });
    expect(wrongAudience.headers["www-authenticate"]).toBe('Bearer realm="products", error="invalid_token"');
    const expired = await rawRequest(gateway.url("/products"), bearer(await token(hs, { ...claims, exp: now() - 120 })));
    expect(expired.json()).toMatchObject({ code: "JWT_EXPIRED" });
    expect(upstream.hits()).toBe(0);

    const ok = await rawRequest(gateway.url("/products/1"), { headers: { ...bearer(await token(hs, claims)).headers, "x-user-id": "forged" } });
    expect(ok.status).toBe(200);
    const seen = ok.json<Seen>();
    expect(seen.headers["x-user-id"]).toBe("alice");
    expect(seen.headers.authorization).toBeUndefined();
  });

  it("exposes claims to expressions as jwt.<claim>, and reads a JWKS file", async () => {
    const upstream = await echoUpstream();
    const dir = mkdtempSync(join(tmpdir(), "jwt-keys-"));
    const file = join(dir, "jwks.json");
    writeFileSync(file, JSON.stringify({ keys: [rsaOld.publicJwk, ec.publicJwk] }));
    const gateway = await startTestGateway(`
plugins:
  jwt: { path: ${builtPolicy("jwt")}, capabilities: ${grants([], [`${dir}/`])} }
  tag: { path: ${tagPolicy} }
${routesYaml(`
      - name: all
        policies:
          request:
            - plugin: jwt
              with: { algorithms: [RS256, ES256], jwksFile: ${file}, header: x-token }
            - plugin: tag
              with: { label: writer }
              when: 'jwt.scope == "products:write"'
        backend: { url: ${upstream.url} }
`)}`);
    const writer = await rawRequest(gateway.url("/"), { headers: { "x-token": await token(ec, { scope: "products:write" }) } });
    expect(writer.status).toBe(200);
    expect(writer.json<Seen>().headers["x-order"]).toBe("writer");
    expect(writer.json<Seen>().headers["x-token"]).toBeUndefined();
    const reader = await rawRequest(gateway.url("/"), { headers: { "x-token": await token(rsaOld, { scope: "products:read" }) } });
    expect(reader.json<Seen>().headers["x-order"]).toBeUndefined();
    const unknown = await rawRequest(gateway.url("/"), { headers: { "x-token": await token(rsaNew) } });
    expect(unknown.json()).toMatchObject({ code: "JWT_KEY_UNKNOWN" });
  });

  it("follows a JWKS served over HTTP on loopback as it rotates keys, and keeps them when it goes down", async () => {
    const { gateway, jwks } = await gatewayWithJwksUrl("{ cacheSeconds: 3600, refreshCooldownSeconds: 0 }");
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaOld)))).status).toBe(200);
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaOld)))).status).toBe(200);
    expect(jwks.hits).toBe(1);

    jwks.served = [rsaNew]; // rotation: the old key is withdrawn
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaNew)))).status).toBe(200);
    expect(jwks.hits).toBe(2);
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaOld)))).json()).toMatchObject({ code: "JWT_KEY_UNKNOWN" });

    await jwks.close();
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaNew)))).status).toBe(200);
    const forged = await rawRequest(gateway.url("/"), bearer(await token({ ...rsaOld, kid: "2026" })));
    expect(forged.json()).toMatchObject({ code: "JWT_KEY_UNKNOWN" }); // the refresh failed ...
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaNew)))).status).toBe(200); // ... the last good keys stay
  });

  it("refreshes on an unknown kid no more than once per cooldown", async () => {
    const { gateway, jwks } = await gatewayWithJwksUrl("{ refreshCooldownSeconds: 3600 }");
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaOld)))).status).toBe(200);
    jwks.served = [rsaOld, rsaNew];
    for (let i = 0; i < 5; i++) {
      const answer = await rawRequest(gateway.url("/"), bearer(await token({ ...rsaNew, kid: `made-up-${i}` })));
      expect(answer.json()).toMatchObject({ code: "JWT_KEY_UNKNOWN" });
    }
    expect(jwks.hits).toBe(1);
  });

  it("refuses a configuration with no algorithms at load", async () => {
    const yaml = `
plugins:
  jwt: { path: ${builtPolicy("jwt")}, capabilities: ${grants()} }
${routesYaml(`
      - name: all
        policies: { request: [ { plugin: jwt, with: { algorithms: [], keys: [ { kty: oct, k: abc } ] } } ] }
        backend: { echo: true }
`)}`;
    await expect(startTestGateway(yaml)).rejects.toThrow(/algorithms[\s\S]*line|line[\s\S]*algorithms|test\.yaml:\d+/);
  });
});
