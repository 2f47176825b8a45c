import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { rawRequest, startUpstream, stopAll, track } from "../../../test/support/servers.js";
import { recordingUpstream } from "../../../test/support/recording-upstream.js";
import { hasRedisServer, startRedis } from "../../../test/capabilities/support/redis-server.js";

afterEach(stopAll);

const build = (name: string) => fileURLToPath(new URL(`../../${name}/build/${name}.wasm`, import.meta.url));
const plugins = `plugins:
  cache:
    path: ${build("cache")}
    capabilities: { kv: true, crypto: true, clock: true, expression: true }
    limits: { timeoutMs: 2000 } # exact counts: a loaded test machine must not turn a call into a timeout
  api-key:
    path: ${build("api-key")}
    capabilities: { crypto: true }
`;

/** A route with the cache in both flows (and `before` ahead of it in the request flow). */
function route(upstreamUrl: string, withBlock = "{}", before = ""): string {
  return routesYaml(`
      - name: api
        policies:
          request: [${before} { plugin: cache, with: ${withBlock} } ]
          response: [ { plugin: cache, with: ${withBlock} } ]
        backend: { url: "${upstreamUrl}" }`);
}

/** Explicit freshness: without it a response is not stored. */
const FRESH = { "cache-control": "max-age=3600" };

/** An upstream numbering its answers ("answer 1", "answer 2", ...) and letting `headersFor` choose headers per path. */
async function numberingUpstream(headersFor: (req: IncomingMessage) => Record<string, string> = () => FRESH) {
  let answers = 0;
  const upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
    answers++;
    for (const [name, value] of Object.entries(headersFor(req))) res.setHeader(name, value);
    res.end(`answer ${answers}`);
  });
  return Object.assign(upstream, { answers: () => answers });
}

const get = (url: string, headers: Record<string, string> = {}) => rawRequest(url, { headers });

describe("cache (gateway)", () => {
  it("keeps at most stores.kvMaxEntries entries, giving up the least recently used", async () => {
    const upstream = await numberingUpstream();
    const gateway = await startTestGateway(`${plugins}stores: { kvMaxEntries: 2 }\n${route(upstream.url, "{ ttlSeconds: 300 }")}`);
    const status = async (path: string) => (await get(gateway.url(path))).headers["cache-status"];
    expect(await status("/a")).toBe("portcullis; fwd=uri-miss; stored");
    expect(await status("/b")).toBe("portcullis; fwd=uri-miss; stored");
    expect(await status("/a")).toMatch(/^portcullis; hit/); // /a is now the most recently used
    expect(await status("/c")).toBe("portcullis; fwd=uri-miss; stored"); // a third entry: /b goes
    expect(await status("/a")).toMatch(/^portcullis; hit/);
    expect(await status("/b")).toBe("portcullis; fwd=uri-miss; stored");
    expect(upstream.answers()).toBe(4);
  });

  it("answers repeated GETs from the store without calling the upstream, with Age, Cache-Status and one x-request-id", async () => {
    const upstream = await numberingUpstream();
    const gateway = await startTestGateway(`${plugins}${route(upstream.url, "{ ttlSeconds: 300 }")}`);
    const miss = await get(gateway.url("/items?page=1"));
    expect(miss.status).toBe(200);
    expect(miss.headers["cache-status"]).toBe("portcullis; fwd=uri-miss; stored");
    for (let i = 0; i < 5; i++) {
      const hit = await get(gateway.url("/items?page=1"));
      expect(hit.body.toString()).toBe("answer 1");
      expect(hit.headers["cache-status"]).toMatch(/^portcullis; hit; ttl=(300|299|298)$/);
      expect(Number(hit.headers.age)).toBeGreaterThanOrEqual(0);
      expect(hit.headers["content-length"]).toBe("8");
      expect(hit.rawHeaders.filter((h) => h.toLowerCase() === "x-request-id")).toHaveLength(1);
    }
    expect(upstream.answers()).toBe(1);
    expect((await rawRequest(gateway.url("/items?page=1"), { method: "HEAD" })).headers["content-length"]).toBe("8");
    await get(gateway.url("/items?page=2"));
    await rawRequest(gateway.url("/items?page=1"), { method: "POST", body: "x" });
    expect(upstream.answers()).toBe(3);
  });

  it("keeps Vary variants apart and never stores no-store, private or Set-Cookie responses", async () => {
    const upstream = await numberingUpstream((req) => {
      const byPath: Record<string, Record<string, string>> = {
        "/vary": { ...FRESH, vary: "accept-language" },
        "/no-store": { "cache-control": "no-store" },
        "/private": { "cache-control": "private, max-age=60" },
        "/cookie": { ...FRESH, "set-cookie": "session=abc" },
        "/no-freshness": { "content-type": "text/plain" },
      };
      return byPath[req.url ?? ""] ?? FRESH;
    });
    const gateway = await startTestGateway(`${plugins}${route(upstream.url)}`);
    const en = (await get(gateway.url("/vary"), { "accept-language": "en" })).body.toString();
    const fr = (await get(gateway.url("/vary"), { "accept-language": "fr" })).body.toString();
    expect(en).not.toBe(fr);
    expect((await get(gateway.url("/vary"), { "accept-language": "en" })).body.toString()).toBe(en);
    expect((await get(gateway.url("/vary"), { "accept-language": "fr" })).body.toString()).toBe(fr);
    expect(upstream.answers()).toBe(2);
    for (const path of ["/no-store", "/private", "/cookie", "/no-freshness"]) {
      const first = await get(gateway.url(path));
      const second = await get(gateway.url(path));
      expect(second.body.toString()).not.toBe(first.body.toString());
      expect(second.headers["cache-status"]).toMatch(/^portcullis; fwd=uri-miss; detail=(no-store|private|set-cookie|no-freshness)$/);
    }
    expect(upstream.answers()).toBe(10);
  });

  it("revalidates a stale entry with its validators and serves the stored body on a 304, freshened", async () => {
    const seen: Array<Record<string, string | undefined>> = [];
    let version = "v1";
    const upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
      seen.push({ inm: req.headers["if-none-match"], ims: req.headers["if-modified-since"] });
      res.setHeader("etag", `"${version}"`);
      res.setHeader("last-modified", "Tue, 01 Dec 2026 09:30:00 GMT");
      if (req.headers["if-none-match"] === `"${version}"`) {
        res.writeHead(304, { "cache-control": "max-age=60", "x-refreshed": "yes" });
        res.end();
        return;
      }
      res.setHeader("cache-control", "no-cache"); // stored, but revalidated on every use
      res.setHeader("x-refreshed", "no");
      res.end(`body of ${version}`);
    });
    const gateway = await startTestGateway(`${plugins}${route(upstream.url)}`);
    const first = await get(gateway.url("/doc"));
    expect(first.headers["cache-status"]).toBe("portcullis; fwd=uri-miss; stored");
    // Stale at once (no-cache): asked again with both validators; the 304 brings max-age=60.
    const second = await get(gateway.url("/doc"));
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe("body of v1");
    expect(second.headers["x-refreshed"]).toBe("yes");
    expect(second.headers["cache-status"]).toBe("portcullis; fwd=stale; fwd-status=304; stored");
    expect(seen[1]).toEqual({ inm: '"v1"', ims: "Tue, 01 Dec 2026 09:30:00 GMT" });
    // Freshened by the 304's max-age: a hit, no upstream call.
    const third = await get(gateway.url("/doc"));
    expect(third.headers["cache-status"]).toMatch(/^portcullis; hit; ttl=/);
    expect(seen.length).toBe(2);
    // A client's own conditional request is passed through untouched, its 304 to it.
    version = "v2";
    const own = await get(gateway.url("/other"), { "if-none-match": '"v2"' });
    expect(own.status).toBe(304);
    expect(seen[2]).toEqual({ inm: '"v2"', ims: undefined });
  });

  it("serves a response with a realistic header block (over 1 KB) from the store, every header intact", async () => {
    // Entries whose metadata passed 255 bytes were once stored and never read back (a u8 shifted in the decoder).
    const headers: Record<string, string> = {
      "cache-control": "public, max-age=600",
      "content-type": "text/html; charset=utf-8",
      date: new Date().toUTCString(),
      etag: '"5f2b1c9a-3e8d-4b7f-9a1e-0c6d2f8e4b13"',
      "last-modified": "Tue, 01 Dec 2026 09:30:00 GMT",
      server: "nginx/1.27.3",
      vary: "Accept-Encoding",
      "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
      "content-security-policy":
        "default-src 'self'; script-src 'self' https://cdn.example.com https://www.googletagmanager.com; style-src 'self' 'unsafe-inline' " +
        "https://fonts.googleapis.com; img-src 'self' data: https://images.example.com; font-src 'self' https://fonts.gstatic.com; " +
        "connect-src 'self' https://api.example.com wss://realtime.example.com; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
      "permissions-policy": "accelerometer=(), camera=(), geolocation=(self), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
      link: "</static/app.4f9c2e.css>; rel=preload; as=style, </static/app.81b3d0.js>; rel=preload; as=script, <https://fonts.gstatic.com>; rel=preconnect",
      "referrer-policy": "strict-origin-when-cross-origin",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "x-amz-request-id": "4442587FB7D0A2F9",
      "x-amz-id-2": "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=",
      "x-served-by": "cache-fra-etou8220154-FRA, cache-ams21050-AMS",
      "report-to": '{"group":"csp-endpoint","max_age":10886400,"endpoints":[{"url":"https://reports.example.com/csp"}]}',
    };
    expect(
      Object.entries(headers)
        .map(([n, v]) => n.length + v.length + 4)
        .reduce((a, b) => a + b),
    ).toBeGreaterThan(1024);
    const upstream = await recordingUpstream({ headers, body: "<!doctype html><title>home</title>" });
    const gateway = await startTestGateway(`${plugins}${route(upstream.url)}`);
    expect((await get(gateway.url("/home"))).headers["cache-status"]).toBe("portcullis; fwd=uri-miss; stored");
    const hit = await get(gateway.url("/home"));
    expect(hit.headers["cache-status"]).toMatch(/^portcullis; hit; ttl=/);
    expect(hit.body.toString()).toBe("<!doctype html><title>home</title>");
    for (const [name, value] of Object.entries(headers)) expect(hit.headers[name]).toBe(value);
    expect(upstream.received).toHaveLength(1);
  });

  it("goes back to the upstream once the TTL has passed", async () => {
    const upstream = await numberingUpstream();
    const gateway = await startTestGateway(`${plugins}${route(upstream.url, "{ ttlSeconds: 1 }")}`);
    expect((await get(gateway.url("/t"))).body.toString()).toBe("answer 1");
    let body = "answer 1";
    for (let i = 0; i < 60 && body === "answer 1"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = (await get(gateway.url("/t"))).body.toString();
    }
    expect(body).toBe("answer 2");
  });

  it("a consumer-keyed cache never serves one consumer's response to another", async () => {
    const upstream = await numberingUpstream();
    const apiKey = "{ plugin: api-key, with: { keys: [ { consumer: alice, key: alice-key }, { consumer: bob, key: bob-key } ] } },";
    const gateway = await startTestGateway(`${plugins}${route(upstream.url, "{ key: [ metadata.consumer ] }", apiKey)}`);
    const as = (key: string) => get(gateway.url("/me"), { "x-api-key": key }).then((r) => r.body.toString());
    const alice = await as("alice-key");
    const bob = await as("bob-key");
    expect(alice).toBe("answer 1");
    expect(bob).toBe("answer 2");
    for (let i = 0; i < 3; i++) {
      expect(await as("alice-key")).toBe(alice);
      expect(await as("bob-key")).toBe(bob);
    }
    expect((await get(gateway.url("/me"))).status).toBe(401);
    expect(upstream.answers()).toBe(2);
  });

  describe.skipIf(!hasRedisServer)("with the kv store in Redis (real redis-server)", () => {
    it("serves hits from Redis, and goes upstream without failing once Redis is gone", async () => {
      const redis = await startRedis();
      let stopping: Promise<void> | undefined;
      const stopRedis = () => (stopping ??= redis.stop()); // once: a second stop() would wait for an exit already seen
      track(stopRedis);
      const upstream = await numberingUpstream();
      const gateway = await startTestGateway(
        `${plugins}stores: { backend: redis, redis: { url: "${redis.url}", prefix: "cache-test:", timeoutMs: 200 } }\n${route(upstream.url)}`,
      );
      expect((await get(gateway.url("/r"))).body.toString()).toBe("answer 1");
      const hit = await get(gateway.url("/r"));
      expect(hit.body.toString()).toBe("answer 1");
      expect(hit.headers["cache-status"]).toMatch(/^portcullis; hit/);

      await stopRedis();
      const bypassed = await get(gateway.url("/r"));
      expect(bypassed.status).toBe(200);
      expect(bypassed.body.toString()).toBe("answer 2");
      expect(bypassed.headers["cache-status"]).toBe("portcullis; fwd=bypass; detail=store-unavailable");
    });
  });
});
