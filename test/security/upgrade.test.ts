import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway, type TestGateway } from "../support/gateway.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { startUpstream, stopAll, type Upstream } from "../support/servers.js";
import { rawExchange, statusOf } from "./raw-http.js";

/**
 * Issue 12: any Upgrade token was tunnelled, so `Upgrade: h2c` got a 101 and the tunnel then reached
 * /admin/secrets past every policy. Only WebSocket is tunnelled; any other upgrade is served as a
 * plain request, through every policy, without Upgrade and Connection.
 */
let gateway: TestGateway;
let upstream: Upstream;
const upgradesSeen: string[] = [];
const requestsSeen: Array<{ url: string; upgrade: string | undefined }> = [];

beforeAll(async () => {
  // A backend that accepts any upgrade, then serves its secrets over the tunnel.
  upstream = await startUpstream((req, res) => {
    requestsSeen.push({ url: req.url ?? "", upgrade: req.headers.upgrade });
    res.end("plain answer");
  });
  upstream.server.on("upgrade", (req, socket) => {
    upgradesSeen.push(String(req.headers.upgrade));
    socket.end("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nadmin secrets");
  });
  gateway = await startTestGateway(`
plugins:
  api-key: { path: ${builtPolicy("api-key")}, capabilities: { crypto: true } }
${routesYaml(`
      - name: public
        policies:
          request: [ { plugin: api-key, with: { keys: [ { consumer: app, key: k1 } ] } } ]
        backend: { url: ${upstream.url} }
`)}`);
});

afterAll(stopAll);

const h2c = (headers = "") =>
  `GET /public HTTP/1.1\r\nHost: gateway.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n${headers}\r\n`;

describe("upgrades other than WebSocket", () => {
  it("h2c without a key never gets a 101: the route's api-key answers 401 and the backend sees nothing", async () => {
    const raw = await rawExchange(gateway.listeners[0]!.port, h2c());
    expect(statusOf(raw)).toBe(401);
    expect(raw).not.toContain("admin secrets");
    expect(upgradesSeen).toEqual([]);
    expect(requestsSeen).toEqual([]);
  });

  it("h2c with a key is served as a plain request, its Upgrade dropped", async () => {
    const raw = await rawExchange(gateway.listeners[0]!.port, h2c("x-api-key: k1\r\n"));
    expect(statusOf(raw)).toBe(200);
    expect(raw).toContain("plain answer");
    expect(upgradesSeen).toEqual([]);
    expect(requestsSeen).toEqual([{ url: "/public", upgrade: undefined }]);
  });

  it("an h2c upgrade with a body is refused, since its body was never parsed", async () => {
    const raw = await rawExchange(gateway.listeners[0]!.port, h2c("x-api-key: k1\r\ncontent-length: 4\r\n").replace(/\r\n$/, "\r\nbody"));
    expect(statusOf(raw)).toBe(400);
    expect(upgradesSeen).toEqual([]);
  });
});
