import { request } from "node:https";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stopAll, startUpstream } from "../support/servers.js";
import { startFileGateway } from "../host/reload-helpers.js";
import { createTestPki, type ClientName, type TestPki } from "./certificates.js";

// A reload re-reads the listener's CA bundle and CRL: a certificate revoked after start is refused on
// new connections without a restart.

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.remove());
afterEach(stopAll);

function status(url: string, client: ClientName): Promise<number | string> {
  return new Promise((resolve) => {
    request(url, { ...pki.client(client), ca: pki.serverCa, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    })
      .on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
      .end();
  });
}

describe("mTLS and hot reload", () => {
  it("applies a new CRL on reload: alice, revoked after start, is refused on her next connection", async () => {
    const upstream = await startUpstream((_req, res) => res.end("ok"));
    const yaml = (crl: string) => `
${pki.listenerYaml(`{ ca: ${pki.files.clientCa}, crl: ${crl}, refuse: status }`)}    routes: [ { name: up, backend: { url: "${upstream.url}" } } ]
admin: { host: 127.0.0.1, port: 0 }
logging: { level: silent }
reload: { watch: false }
`;
    const { gateway, write } = await startFileGateway(yaml(pki.files.crl));
    const url = `${gateway.listeners[0]!.url.replace("0.0.0.0", "127.0.0.1")}/x`;
    expect(await status(url, "alice")).toBe(200);
    expect(await status(url, "revoked")).toBe(403);

    write(yaml(pki.files.laterCrl));
    expect((await gateway.reload()).result).toBe("applied");
    expect(await status(url, "alice")).toBe(403);
  });
});
