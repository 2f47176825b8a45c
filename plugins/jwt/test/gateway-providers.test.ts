import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";
import { echoUpstream } from "../../../test/support/counting-upstream.js";
import { builtPolicy, readmeExample } from "../../../test/support/plugin-examples.js";
import { signingKey, type SigningKey } from "./tokens.js";

// Tokens from a query parameter or a cookie, two providers in both selection modes, and a JWKS
// file rewritten while the gateway runs.

afterEach(stopAll);

const now = () => Math.floor(Date.now() / 1000);
type Seen = { url: string; headers: Record<string, string> };
const INTERNAL = "https://internal.example";
const PARTNER = "https://partner.example";

async function token(key: SigningKey, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: "alice", exp: now() + 600, ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

const bearer = (value: string) => ({ headers: { authorization: `Bearer ${value}` } });
const grants = (http: string[] = [], files: string[] = []) =>
  `{ crypto: true, clock: true, kv: true, http: { allow: ${JSON.stringify(http)} }, files: { allow: ${JSON.stringify(files)} } }`;

let hs: SigningKey, rsa: SigningKey, rsaNew: SigningKey;
beforeAll(async () => {
  [hs, rsa, rsaNew] = await Promise.all([signingKey("HS256", "hs-1"), signingKey("RS256", "rsa-1"), signingKey("RS256", "rsa-2")]);
});

/** A gateway with an HS256 inline provider and an RS256 provider whose JWKS is served on loopback. */
async function twoProviders(select: "ordered" | "issuer") {
  const upstream = await echoUpstream();
  const jwks = await startUpstream((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [rsa.publicJwk] }));
  });
  const gateway = await startTestGateway(`
plugins:
  jwt: { path: ${builtPolicy("jwt")}, capabilities: ${grants([new URL(jwks.url).host])} }
${routesYaml(`
      - name: all
        policies:
          request:
            - plugin: jwt
              with:
                algorithms: [HS256, RS256]
                select: ${select}
                providers:
                  - { issuer: "${INTERNAL}", algorithms: [HS256], keys: [ ${JSON.stringify(hs.publicJwk)} ], claimsToHeaders: { sub: x-user } }
                  - { issuer: "${PARTNER}", algorithms: [RS256], jwksUrl: "${jwks.url}/jwks.json", audience: shop, claimsToHeaders: { sub: x-partner-user } }
        backend: { url: ${upstream.url} }
`)}`);
  return { gateway, upstream };
}

describe("jwt in a gateway: where the token comes from, and several providers", () => {
  it("runs the README's partners route: tokens from a cookie or the query, picked by issuer, removed upstream", async () => {
    const upstream = await echoUpstream();
    const secret = new Uint8Array(32).fill(9);
    const gateway = await startTestGateway(readmeExample("jwt", upstream.url), { env: { JWT_SECRET: Buffer.from(secret).toString("base64url") } });
    const internal = await token({ alg: "HS256", kid: "shop-2024", privateKey: secret, publicJwk: {} }, { iss: "https://idp.example" });

    const fromCookie = await rawRequest(gateway.url("/partners"), { headers: { cookie: `theme=dark; session=${internal}`, "x-partner-user": "forged" } });
    expect(fromCookie.status).toBe(200);
    const seen = fromCookie.json<Seen>();
    expect(seen.headers["x-user-id"]).toBe("alice");
    expect(seen.headers["x-partner-user"]).toBeUndefined();
    expect(seen.headers.cookie).toBe("theme=dark");

    const fromQuery = await rawRequest(gateway.url(`/partners/list?page=2&access_token=${internal}`));
    expect(fromQuery.status).toBe(200);
    expect(fromQuery.json<Seen>().url).toBe("/partners/list?page=2");

    const stranger = await rawRequest(gateway.url("/partners"), { headers: { cookie: `session=${await token(hs, { iss: "https://evil.example" })}` } });
    expect(stranger.status).toBe(401);
    expect(stranger.json()).toMatchObject({ code: "JWT_ISSUER_UNKNOWN" });
    expect(stranger.headers["www-authenticate"]).toBe('Bearer realm="api", error="invalid_token"');
    expect(upstream.hits()).toBe(2);
  });

  for (const select of ["ordered", "issuer"] as const) {
    it(`verifies an HS256 inline provider and an RS256 JWKS provider (select: ${select})`, async () => {
      const { gateway } = await twoProviders(select);
      const internal = await rawRequest(gateway.url("/"), bearer(await token(hs, { iss: INTERNAL })));
      expect(internal.status).toBe(200);
      expect(internal.json<Seen>().headers["x-user"]).toBe("alice");
      const partner = await rawRequest(gateway.url("/"), bearer(await token(rsa, { iss: PARTNER, aud: "shop" })));
      expect(partner.status).toBe(200);
      expect(partner.json<Seen>().headers["x-partner-user"]).toBe("alice");
      expect(partner.json<Seen>().headers.authorization).toBeUndefined();

      const wrongAudience = await rawRequest(gateway.url("/"), bearer(await token(rsa, { iss: PARTNER, aud: "billing" })));
      expect(wrongAudience.json()).toMatchObject({ code: "JWT_AUDIENCE_INVALID" });
      const unknownIssuer = await rawRequest(gateway.url("/"), bearer(await token(hs, { iss: "https://evil.example" })));
      expect(unknownIssuer.status).toBe(401);
      expect(unknownIssuer.json()).toMatchObject({ code: select === "issuer" ? "JWT_ISSUER_UNKNOWN" : "JWT_ISSUER_INVALID" });
    });
  }

  it("follows a JWKS file rewritten while running, keeping the last good keys when it turns invalid", async () => {
    const upstream = await echoUpstream();
    const dir = mkdtempSync(join(tmpdir(), "jwt-rotating-"));
    const file = join(dir, "jwks.json");
    writeFileSync(file, JSON.stringify({ keys: [rsa.publicJwk] }));
    const gateway = await startTestGateway(`
plugins:
  jwt: { path: ${builtPolicy("jwt")}, capabilities: ${grants([], [`${dir}/`])} }
${routesYaml(`
      - name: all
        policies:
          request:
            - plugin: jwt
              with: { algorithms: [RS256], jwksFile: ${file}, jwksCache: { cacheSeconds: 3600, refreshCooldownSeconds: 0 } }
        backend: { url: ${upstream.url} }
`)}`);
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsa)))).status).toBe(200);
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaNew)))).json()).toMatchObject({ code: "JWT_KEY_UNKNOWN" });

    writeFileSync(file, JSON.stringify({ keys: [rsaNew.publicJwk] })); // rotation: the old key withdrawn
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaNew)))).status).toBe(200);

    writeFileSync(file, "{ half written");
    expect((await rawRequest(gateway.url("/"), bearer(await token({ ...rsaNew, kid: "rsa-9" })))).json()).toMatchObject({ code: "JWT_KEY_UNKNOWN" });
    expect((await rawRequest(gateway.url("/"), bearer(await token(rsaNew)))).status).toBe(200);
  });
});
