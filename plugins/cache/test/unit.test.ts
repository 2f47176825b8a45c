import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fakeExpressions, loadPolicy, type RequestInput } from "@portcullis/sdk/testing";
import type { Capabilities } from "@portcullis/sdk/component";

const wasmPath = fileURLToPath(new URL("../build/cache.wasm", import.meta.url));

type Header = { name: string; value: string };
type Edit = { tag: string; val: Header | { key: string; value: string } };

async function policy(config: unknown = {}, values: Record<string, string> = {}, extra: Partial<Capabilities> = {}) {
  return loadPolicy(wasmPath, { config, capabilities: { expression: fakeExpressions(values), ...extra } });
}
type Cache = Awaited<ReturnType<typeof policy>>;

interface Upstream {
  status?: number;
  headers?: Record<string, string> | [string, string][];
  body?: string;
}

interface Served {
  /** true when the cache answered (the upstream was not called). */
  hit: boolean;
  status: number;
  headers: Header[];
  body: string;
  header(name: string): string | undefined;
}

/** What the upstream sends when a case does not say: explicit freshness, without which nothing is stored. */
const FRESH = { "cache-control": "max-age=3600" };

/** One request through the cache's request flow, then (on a miss) the upstream's answer through its response flow. */
function exchange(p: Cache, request: RequestInput, upstream: Upstream = {}): Served {
  const outcome = p.onRequest(request) as unknown as {
    tag: string;
    val: { tag: string; val: { status: number; headers: Header[] | Edit[]; body: Uint8Array; metadata: Edit[] } };
  };
  expect(outcome.tag).toBe("ok");
  const served = (hit: boolean, status: number, headers: Header[], body: string): Served => ({
    hit,
    status,
    headers,
    body,
    header: (name) => headers.find((h) => h.name === name)?.value,
  });
  if (outcome.val.tag === "respond") {
    const { status, headers, body } = outcome.val.val;
    return served(true, status, headers as Header[], Buffer.from(body).toString());
  }
  const metadata: Record<string, unknown> = {};
  for (const edit of outcome.val.val.metadata) {
    const entry = edit.val as { key: string; value: string };
    metadata[entry.key] = JSON.parse(entry.value);
  }
  const response = p.onResponse({ request, metadata, status: upstream.status ?? 200, headers: upstream.headers ?? FRESH, body: upstream.body ?? "upstream" });
  const edits = (response as unknown as { val: { val: { headers: Edit[] } } }).val.val.headers;
  const headers: Header[] = Object.entries(upstream.headers ?? FRESH).map(([name, value]) => ({ name, value }));
  for (const edit of edits) {
    const header = edit.val as Header;
    const kept = headers.filter((h) => h.name !== header.name);
    headers.splice(0, headers.length, ...kept, header);
  }
  return served(false, upstream.status ?? 200, headers, upstream.body ?? "upstream");
}

describe("cache (unit)", () => {
  it("stores a 200 on a miss and answers the next GET and HEAD from the store, with Age and Cache-Status", async () => {
    const p = await policy({ ttlSeconds: 60, name: "edge" });
    expect(p.describe()).toMatchObject({ name: "cache", flows: ["request", "response"], needsResponseBody: true, needsRequestBody: false });
    const miss = exchange(p, { path: "/items", query: "a=1" }, { headers: { ...FRESH, "content-type": "text/plain", "x-version": "7" }, body: "items v1" });
    expect(miss.hit).toBe(false);
    expect(miss.header("cache-status")).toBe("edge; fwd=uri-miss; stored");
    expect([...p.fakes.kv.keys()].join()).not.toContain("items"); // keys are digests

    p.fakes.clock.advance(5_000);
    const hit = exchange(p, { path: "/items", query: "a=1" });
    expect(hit).toMatchObject({ hit: true, status: 200, body: "items v1" });
    expect(hit.header("x-version")).toBe("7");
    expect(hit.header("content-type")).toBe("text/plain");
    expect(hit.header("age")).toBe("5");
    expect(hit.header("cache-status")).toBe("edge; hit; ttl=55");
    expect(exchange(p, { method: "HEAD", path: "/items", query: "a=1" })).toMatchObject({ hit: true, body: "items v1" }); // the gateway sends no body to HEAD
    expect(exchange(p, { path: "/items", query: "a=2" }).hit).toBe(false);
    expect(exchange(p, { path: "/items", query: "a=1" }, {}).hit).toBe(true);
  });

  it("expires entries after the configured TTL, bounded by s-maxage / max-age minus the upstream's Age", async () => {
    const p = await policy({ ttlSeconds: 30 });
    exchange(p, { path: "/ttl" });
    p.fakes.clock.advance(29_000);
    expect(exchange(p, { path: "/ttl" }).hit).toBe(true);
    p.fakes.clock.advance(1_000);
    const expired = exchange(p, { path: "/ttl" });
    expect(expired.hit).toBe(false);
    expect(expired.header("cache-status")).toBe("portcullis; fwd=uri-miss; stored");

    exchange(p, { path: "/short" }, { headers: { "cache-control": "public, max-age=10, s-maxage=4", age: "1" } });
    p.fakes.clock.advance(2_000);
    const aged = exchange(p, { path: "/short" });
    expect(aged.header("age")).toBe("3");
    expect(aged.header("cache-status")).toBe("portcullis; hit; ttl=1");
    p.fakes.clock.advance(1_000);
    expect(exchange(p, { path: "/short" }).hit).toBe(false);

    exchange(p, { path: "/long" }, { headers: { "cache-control": "max-age=3600" } });
    p.fakes.clock.advance(30_000);
    expect(exchange(p, { path: "/long" }).hit).toBe(false); // the configured TTL is the upper bound
    expect(exchange(p, { path: "/zero" }, { headers: { "cache-control": "max-age=0" } }).header("cache-status")).toBe("portcullis; fwd=uri-miss; detail=stale");
  });

  it("keys variants by the request fields named in Vary", async () => {
    const p = await policy();
    const vary = { ...FRESH, vary: "Accept-Language" };
    exchange(p, { path: "/greeting", headers: { "accept-language": "en" } }, { headers: vary, body: "hello" });
    const french = exchange(p, { path: "/greeting", headers: { "accept-language": "fr" } }, { headers: vary, body: "bonjour" });
    expect(french.hit).toBe(false);
    expect(french.header("cache-status")).toBe("portcullis; fwd=vary-miss; stored");
    expect(exchange(p, { path: "/greeting", headers: { "accept-language": "en" } })).toMatchObject({ hit: true, body: "hello" });
    expect(exchange(p, { path: "/greeting", headers: { "accept-language": "fr" } })).toMatchObject({ hit: true, body: "bonjour" });
    expect(exchange(p, { path: "/greeting" }).hit).toBe(false); // absent differs from any value
    expect(exchange(p, { path: "/any" }, { headers: { vary: "*" } }).header("cache-status")).toBe("portcullis; fwd=uri-miss; detail=vary-star");
  });

  it("never stores no-store, private, no-cache, Set-Cookie, no explicit freshness, past Expires, 206/304 or entries over maxEntryBytes", async () => {
    const p = await policy({ maxEntryBytes: 2048 });
    const cases: Array<[Upstream, string]> = [
      [{ headers: { "cache-control": "no-store" } }, "no-store"],
      [{ headers: { "cache-control": "private, max-age=60" } }, "private"],
      [{ headers: { "cache-control": "no-cache" } }, "no-cache"],
      [{ headers: { ...FRESH, "set-cookie": "session=1" } }, "set-cookie"],
      [{ headers: { "content-type": "text/plain" } }, "no-freshness"], // with a validator it would be kept for revalidation
      [{ headers: { expires: "Thu, 01 Jan 1970 00:00:00 GMT" } }, "stale"],
      [{ headers: { expires: "Thursday, 01-Jan-2099 00:00:00 GMT" } }, "stale"], // not an IMF-fixdate: invalid, so expired
      [{ status: 206 }, "status"],
      [{ status: 304 }, "status"],
      [{ body: "x".repeat(4096) }, "too-large"],
    ];
    for (const [index, [upstream, detail]] of cases.entries()) {
      const path = `/case-${index}`;
      expect(exchange(p, { path }, upstream).header("cache-status")).toBe(`portcullis; fwd=uri-miss; detail=${detail}`);
    }
    expect(p.fakes.kv.size).toBe(0);
    expect(exchange(p, { path: "/gone" }, { status: 404 }).header("cache-status")).toBe("portcullis; fwd=uri-miss; stored");
    expect(exchange(p, { path: "/gone" })).toMatchObject({ hit: true, status: 404 });
    expect(exchange(p, { path: "/down" }, { status: 503 }).header("cache-status")).toBe("portcullis; fwd=uri-miss; stored"); // explicit freshness: any status
    const listed = await policy({ statuses: [200] });
    expect(exchange(listed, { path: "/gone" }, { status: 404 }).header("cache-status")).toBe("portcullis; fwd=uri-miss; detail=status");
  });

  it("takes freshness from Expires minus Date, counts the larger of Age and the time since Date, and caps residence at ttlSeconds", async () => {
    const p = await policy({ ttlSeconds: 600 });
    const now = Number(p.fakes.clock.nowMs);
    const date = (offsetSeconds: number) => new Date(now + offsetSeconds * 1000).toUTCString();
    exchange(p, { path: "/expires" }, { headers: { date: date(0), expires: date(100) } });
    p.fakes.clock.advance(99_000);
    expect(exchange(p, { path: "/expires" }).header("cache-status")).toBe("portcullis; hit; ttl=1");
    p.fakes.clock.advance(1_000);
    expect(exchange(p, { path: "/expires" }).hit).toBe(false);

    const later = Number(p.fakes.clock.nowMs);
    const dated = new Date(later - 50_000).toUTCString(); // sent 50 s ago: 50 of its 60 s are gone
    expect(exchange(p, { path: "/dated" }, { headers: { date: dated, "cache-control": "max-age=60" } }).header("cache-status")).toBe(
      "portcullis; fwd=uri-miss; stored",
    );
    expect(exchange(p, { path: "/dated" }).header("cache-status")).toBe("portcullis; hit; ttl=10");
    expect(exchange(p, { path: "/old" }, { headers: { date: dated, "cache-control": "max-age=40" } }).header("cache-status")).toBe(
      "portcullis; fwd=uri-miss; detail=stale",
    );

    // Age: the first value of the first line; a malformed one counts as 0.
    expect(
      exchange(
        p,
        { path: "/age-list" },
        {
          headers: [
            ["cache-control", "max-age=60"],
            ["age", "70, 0"],
          ],
        },
      ).header("cache-status"),
    ).toBe("portcullis; fwd=uri-miss; detail=stale");
    expect(exchange(p, { path: "/age-bad" }, { headers: { "cache-control": "max-age=60", age: "abc" } }).header("cache-status")).toBe(
      "portcullis; fwd=uri-miss; stored",
    );

    // ttlSeconds bounds the time here, not the upstream's lifetime: an old response with a long max-age is kept 600 s.
    exchange(p, { path: "/aged" }, { headers: { "cache-control": "max-age=86400", age: "3000" } });
    p.fakes.clock.advance(599_000);
    expect(exchange(p, { path: "/aged" })).toMatchObject({ hit: true });
    p.fakes.clock.advance(1_000);
    expect(exchange(p, { path: "/aged" }).hit).toBe(false);
  });

  it("request no-cache refreshes the entry; request no-store and unlisted methods bypass storage", async () => {
    const p = await policy();
    exchange(p, { path: "/r" }, { body: "old" });
    const refreshed = exchange(p, { path: "/r", headers: { "cache-control": "no-cache" } }, { body: "new" });
    expect(refreshed.header("cache-status")).toBe("portcullis; fwd=request; stored");
    expect(exchange(p, { path: "/r" }).body).toBe("new");
    expect(exchange(p, { path: "/s", headers: { "cache-control": "no-store" } }).header("cache-status")).toBe("portcullis; fwd=uri-miss");
    expect(exchange(p, { path: "/s" }).hit).toBe(false);
    expect(exchange(p, { method: "POST", path: "/r" }).header("cache-status")).toBe("portcullis; fwd=method");
    expect(exchange(p, { method: "HEAD", path: "/h" }).header("cache-status")).toBe("portcullis; fwd=uri-miss"); // HEAD misses are not stored
  });

  it("drops the stored GET response after a successful unsafe request to the same URI (RFC 9111 section 4.4)", async () => {
    const p = await policy();
    exchange(p, { path: "/doc" }, { body: "v1" });
    exchange(p, { method: "PUT", path: "/doc" }, { status: 500 });
    expect(exchange(p, { path: "/doc" })).toMatchObject({ hit: true, body: "v1" });
    expect(exchange(p, { method: "DELETE", path: "/doc", headers: { authorization: "Bearer t" } }, { status: 204 }).header("cache-status")).toBe(
      "portcullis; fwd=method",
    );
    expect(exchange(p, { path: "/doc" }, { body: "v2" }).hit).toBe(false);
    expect(exchange(p, { path: "/doc" }).body).toBe("v2");
    exchange(p, { method: "POST", path: "/doc", query: "x=1" });
    expect(exchange(p, { path: "/doc" }).hit).toBe(true); // another URI
  });

  it("keeps one entry per consumer from the key expressions, and bypasses when a part cannot be evaluated", async () => {
    const values: Record<string, string> = { "metadata.consumer": '"alice"' };
    const p = await policy({ key: ["metadata.consumer"] }, values);
    exchange(p, { path: "/me" }, { body: "alice's data" });
    values["metadata.consumer"] = '"bob"';
    const bob = exchange(p, { path: "/me" }, { body: "bob's data" });
    expect(bob.hit).toBe(false);
    expect(exchange(p, { path: "/me" }).body).toBe("bob's data");
    values["metadata.consumer"] = '"alice"';
    expect(exchange(p, { path: "/me" }).body).toBe("alice's data");
    delete values["metadata.consumer"];
    expect(exchange(p, { path: "/me" }).header("cache-status")).toBe("portcullis; fwd=bypass; detail=key");
  });

  it("requests with Authorization: bypassed by default; with authorized: true, stored only when public or s-maxage allows", async () => {
    const bearer = { authorization: "Bearer t" };
    const plain = await policy();
    expect(exchange(plain, { path: "/a", headers: bearer }, { headers: { "cache-control": "public" } }).header("cache-status")).toBe(
      "portcullis; fwd=bypass; detail=authorization",
    );
    expect(plain.fakes.kv.size).toBe(0);

    const p = await policy({ key: ["jwt.sub"], authorized: true }, { "jwt.sub": '"u1"' });
    expect(exchange(p, { path: "/a", headers: bearer }).header("cache-status")).toBe("portcullis; fwd=uri-miss; detail=authorization");
    expect(exchange(p, { path: "/a", headers: bearer }, { headers: { "cache-control": "s-maxage=60" } }).header("cache-status")).toBe(
      "portcullis; fwd=uri-miss; stored",
    );
    expect(exchange(p, { path: "/a", headers: bearer }).hit).toBe(true);
  });

  it("stores private responses only in a per-consumer cache (private: true with key parts)", async () => {
    const p = await policy({ private: true, key: ["metadata.consumer"] }, { "metadata.consumer": '"alice"' });
    exchange(p, { path: "/p" }, { headers: { "cache-control": "private, max-age=60" } });
    expect(exchange(p, { path: "/p" }).hit).toBe(true);
  });

  it("goes upstream when the store fails, and never fails the request", async () => {
    const unavailable = { tag: "err" as const, val: { tag: "unavailable" as const, val: "redis down" } };
    const p = await policy({}, {}, { kv: { get: () => unavailable, set: () => unavailable, delete: () => unavailable } });
    expect(exchange(p, { path: "/x" }).header("cache-status")).toBe("portcullis; fwd=bypass; detail=store-unavailable");
    const broken = await policy({}, {}, { kv: { get: () => ({ tag: "ok", val: undefined }), set: () => unavailable, delete: () => unavailable } });
    expect(exchange(broken, { path: "/x" }).header("cache-status")).toBe("portcullis; fwd=uri-miss; detail=store-unavailable");
  });

  it("refuses configurations the schema cannot express", async () => {
    const refused = async (config: unknown) =>
      (await loadPolicy(wasmPath, { init: false, capabilities: { expression: fakeExpressions({}, (s) => s === "bad((") } })).init(config);
    expect(await refused({ methods: ["HEAD"] })).toMatchObject({ tag: "err", val: { val: { path: "/methods" } } });
    expect(await refused({ private: true })).toMatchObject({ tag: "err", val: { val: { path: "/private" } } });
    expect(await refused({ authorized: true })).toMatchObject({ tag: "err", val: { val: { path: "/authorized" } } });
    expect(await refused({ key: ["metadata.consumer", "bad(("] })).toMatchObject({ tag: "err", val: { val: { path: "/key/1" } } });
  });
});

describe("cache (unit): bodies too large to see", () => {
  it("asks for the response body only if it fits, and does not store one it did not see", async () => {
    const p = await policy({});
    expect(p.initInfo).toEqual({ requestBody: "none", responseBody: "whole-if-fits" });
    const forwarded = p.onRequest({ path: "/big" });
    const metadata = { cache: JSON.parse((forwarded as { val: { val: { metadata: { val: { value: string } }[] } } }).val.val.metadata[0]!.val.value) };
    const answered = p.onResponse({ status: 200, headers: { "cache-control": "max-age=60" }, metadata });
    expect(answered).toMatchObject({
      tag: "ok",
      val: { tag: "continue", val: { headers: [{ tag: "set", val: { name: "cache-status", value: "portcullis; fwd=uri-miss; detail=too-large" } }] } },
    });
  });
});
