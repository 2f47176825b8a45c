import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfigText, startGateway } from "../../host/src/index.js";
import { startUpstream, stopAll, track } from "../support/servers.js";

afterEach(stopAll);

const fixtures = join(process.cwd(), "test/host/fixtures/tls");

describe("TLS listener", () => {
  it("serves HTTPS with the configured certificate and forwards X-Forwarded-Proto: https", async () => {
    const upstream = await startUpstream((req, res) => res.end(String(req.headers["x-forwarded-proto"])));
    const loaded = parseConfigText(
      `
listeners:
  - name: secure
    host: 127.0.0.1
    port: 0
    tls: { cert: cert.pem, key: key.pem }
    routes:
      - name: up
        backend: { url: "${upstream.url}" }
admin: { enabled: false }
logging: { level: silent }
`,
      { baseDir: fixtures },
    );
    const gateway = await startGateway(loaded);
    track(() => gateway.close());
    expect(gateway.listeners[0]!.url).toMatch(/^https:\/\//);
    const body = await new Promise<string>((resolve, reject) => {
      request(`${gateway.listeners[0]!.url}/x`, { ca: readFileSync(join(fixtures, "cert.pem")) }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve(text));
      })
        .on("error", reject)
        .end();
    });
    expect(body).toBe("https");
  });

  it("rejects a config whose TLS files do not exist, naming the line", () => {
    expect(() => parseConfigText("listeners:\n  - name: s\n    port: 0\n    tls:\n      cert: nope.pem\n      key: key.pem\n", { baseDir: fixtures })).toThrow(
      /<config>:5:13 listeners\[0\]\.tls\.cert: file not found: .*nope\.pem/,
    );
  });
});
