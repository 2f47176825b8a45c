import { existsSync } from "node:fs";
import type { RequestListener } from "node:http";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../../../test/support/gateway.js";
import { builtPolicy } from "../../../test/support/plugin-examples.js";
import { recordingUpstream, type RecordingUpstream } from "../../../test/support/recording-upstream.js";
import { startUpstream, stopAll } from "../../../test/support/servers.js";

const CHROMIUM = "/usr/bin/chromium";

// Without the background-networking flags Chromium tries to reach Google services at start-up.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** What the page's script reports about one fetch to the gateway. */
type CallResult = { status: number; headers: Record<string, string>; body: string } | { error: string; message: string };

interface PageScript {
  callGateway(url: string, init: CallInit): Promise<CallResult>;
}

interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * The page served by both origins. Its script fetches the gateway and returns what the page itself
 * can see: the status, the headers CORS lets it read, and the body, or the error the fetch rejected with.
 */
const PAGE = `<!doctype html>
<title>cors browser check</title>
<script>
  window.callGateway = async (url, init) => {
    try {
      const response = await fetch(url, init);
      return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
    } catch (error) {
      return { error: error.name, message: error.message };
    }
  };
</script>
`;

const chromiumMissing = !existsSync(CHROMIUM);
const suiteName = chromiumMissing ? `cors from headless Chromium: skipped, ${CHROMIUM} is not installed` : "cors from headless Chromium";

describe.skipIf(chromiumMissing)(suiteName, () => {
  let browser: Browser;
  let context: BrowserContext;
  let gateway: TestGateway;
  let allowedOrigin: string;
  let foreignOrigin: string;
  let upstream: RecordingUpstream;

  beforeAll(async () => {
    // Two page servers on different ports: two origins, only the first listed in allowOrigins.
    const servePage: RequestListener = (_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
    };
    allowedOrigin = (await startUpstream(servePage)).url;
    foreignOrigin = (await startUpstream(servePage)).url;

    upstream = await recordingUpstream({
      body: (request) => JSON.stringify({ method: request.method, url: request.url }),
      headers: { "content-type": "application/json", "x-internal": "not exposed" },
    });

    gateway = await startTestGateway(`
plugins:
  cors: { path: ${builtPolicy("cors")} }
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
${routesYaml(`
      - name: catalog
        match: { path: { prefix: /catalog } }
        policies:
          request:
            - plugin: cors
              with: &cors
                allowOrigins: ["${allowedOrigin}"]
                allowMethods: [GET, POST]
                allowHeaders: [content-type, x-api-key, x-client-version]
                exposeHeaders: [x-request-id]
          response:
            - plugin: cors
              with: *cors
        backend: { url: ${upstream.url} }
      - name: orders
        match: { path: { prefix: /orders } }
        policies:
          request:
            - plugin: cors
              with: *cors
            - plugin: api-key
              with: { keys: [ { consumer: shop, key: shop-key } ] }
          response:
            - plugin: cors
              with: *cors
        backend: { url: ${upstream.url} }
`)}`);

    // launch() gives the browser a fresh temporary profile, deleted on close.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  // A fresh context per test: no preflight cache or connection carried over from another test.
  beforeEach(async () => {
    context = await browser.newContext();
  });

  afterEach(async () => {
    await context.close();
  });

  /** Opens the page on `origin` and has its script fetch `path` on the gateway. */
  async function callFrom(origin: string, path: string, init: CallInit = {}): Promise<CallResult> {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    return page.evaluate(([url, requestInit]) => (globalThis as unknown as PageScript).callGateway(url, requestInit), [gateway.url(path), init] as const);
  }

  /** The answer the page read; fails the test with the fetch's error when the browser kept it from the page. */
  function readable(result: CallResult) {
    if ("error" in result) throw new Error(`the page could not read the answer: ${result.error}: ${result.message}`);
    return result;
  }

  const hitsOn = (path: string) => upstream.received.filter((hit) => hit.url === path);
  const gatewayLog = (path: string) =>
    gateway.logs.filter((line) => line.msg === "request" && line.path === path).map((line) => `${String(line.method)} ${String(line.status)}`);

  // x-request-id is set by the gateway and listed in exposeHeaders; x-internal comes from the upstream and is not.
  it("a simple GET from the allowed origin: no preflight, the page reads the body and only the exposed headers", async () => {
    const result = readable(await callFrom(allowedOrigin, "/catalog/simple"));

    expect(result.status).toBe(200);
    expect(result.headers["x-request-id"]).toEqual(expect.any(String));
    expect(result.headers["x-internal"]).toBeUndefined();
    expect(JSON.parse(result.body)).toEqual({ method: "GET", url: "/catalog/simple" });
    expect(hitsOn("/catalog/simple").map((hit) => [hit.method, hit.headers.origin])).toEqual([["GET", allowedOrigin]]);
    await vi.waitFor(() => expect(gatewayLog("/catalog/simple")).toEqual(["GET 200"]));
  });

  it("a POST with a custom header and a JSON body: the gateway answers the preflight, the page reads the answer", async () => {
    const result = readable(
      await callFrom(allowedOrigin, "/catalog/items", {
        method: "POST",
        headers: { "content-type": "application/json", "x-client-version": "7" },
        body: JSON.stringify({ sku: "A-1" }),
      }),
    );

    expect(result.status).toBe(200);
    expect(result.headers["x-request-id"]).toEqual(expect.any(String));
    expect(JSON.parse(result.body)).toEqual({ method: "POST", url: "/catalog/items" });
    const [posted, ...others] = hitsOn("/catalog/items");
    expect(others).toEqual([]);
    expect(posted).toMatchObject({ method: "POST", body: '{"sku":"A-1"}', headers: { "x-client-version": "7", "content-type": "application/json" } });
    // The preflight never reached the upstream: cors answered it in the gateway.
    await vi.waitFor(() => expect(gatewayLog("/catalog/items")).toEqual(["OPTIONS 204", "POST 200"]));
  });

  it("without an API key the page reads api-key's 401 and its JSON code; with the key the call goes through", async () => {
    const missing = readable(await callFrom(allowedOrigin, "/orders/no-key"));
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ code: "API_KEY_MISSING" });
    expect(hitsOn("/orders/no-key")).toEqual([]);

    // x-api-key is not a safelisted header: the preflight must pass without a key, so cors runs first.
    const keyed = readable(await callFrom(allowedOrigin, "/orders/keyed", { headers: { "x-api-key": "shop-key" } }));
    expect(keyed.status).toBe(200);
    expect(hitsOn("/orders/keyed").map((hit) => [hit.method, hit.headers["x-api-key"]])).toEqual([["GET", undefined]]);
    await vi.waitFor(() => expect(gatewayLog("/orders/keyed")).toEqual(["OPTIONS 204", "GET 200"]));
  });

  it("a page on a disallowed origin cannot read the answer: fetch rejects with a TypeError", async () => {
    // A simple request still reaches the upstream; only the browser keeps the answer from the page.
    const simple = await callFrom(foreignOrigin, "/catalog/foreign-get");
    expect(simple).toMatchObject({ error: "TypeError" });
    expect(hitsOn("/catalog/foreign-get").map((hit) => hit.method)).toEqual(["GET"]);

    // A preflighted request is stopped at the refused preflight: the POST is never sent.
    const preflighted = await callFrom(foreignOrigin, "/catalog/foreign-post", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(preflighted).toMatchObject({ error: "TypeError" });
    await vi.waitFor(() => expect(gatewayLog("/catalog/foreign-post")).toEqual(["OPTIONS 403"]));
    expect(hitsOn("/catalog/foreign-post")).toEqual([]);
  });
});
