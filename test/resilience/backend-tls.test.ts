import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { rawRequest, stopAll, track } from "../support/servers.js";

/** A CA, a server certificate it signed for `names`, and a client certificate, as files in a temp folder. */
let dir: string;
const files = { ca: "", serverCert: "", serverKey: "", otherCert: "", otherKey: "", clientCert: "", clientKey: "" };
let caPem = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pcs-backend-tls-"));
  const ca = await generate([{ name: "commonName", value: "Portcullis Test CA" }], {
    keySize: 2048,
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  caPem = ca.cert;
  const signed = async (cn: string, altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }>, client = false) =>
    generate([{ name: "commonName", value: cn }], {
      keySize: 2048,
      algorithm: "sha256",
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
        { name: "extKeyUsage", serverAuth: !client, clientAuth: client },
        ...(altNames.length ? [{ name: "subjectAltName" as const, altNames }] : []),
      ],
    });
  const server = await signed("localhost", [
    { type: 2, value: "localhost" },
    { type: 7, ip: "127.0.0.1" },
  ]);
  const other = await signed("other.test", [{ type: 2, value: "other.test" }]);
  const client = await signed("gateway-client", [], true);
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  Object.assign(files, {
    ca: write("ca.pem", ca.cert),
    serverCert: write("server.pem", server.cert),
    serverKey: write("server.key", server.private),
    otherCert: write("other.pem", other.cert),
    otherKey: write("other.key", other.private),
    clientCert: write("client.pem", client.cert),
    clientKey: write("client.key", client.private),
  });
});

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

interface TlsUpstream {
  url: string;
  hits: number;
  /** SNI names and client certificate CNs the server saw, per request. */
  seen: Array<{ sni: string | false; clientCn: string | undefined }>;
}

async function tlsUpstream(certFile: string, keyFile: string, requireClientCert = false): Promise<TlsUpstream> {
  const { readFileSync } = await import("node:fs");
  const upstream: TlsUpstream = { url: "", hits: 0, seen: [] };
  const server: Server = createServer(
    {
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
      ca: caPem,
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
    },
    (req, res) => {
      upstream.hits++;
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const cn = peer?.subject?.CN;
      upstream.seen.push({ sni: socket.servername || false, clientCn: Array.isArray(cn) ? cn[0] : cn });
      res.end("secure");
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  upstream.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  track(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return upstream;
}

function routes(entries: Array<[string, string]>): string {
  return routesYaml(
    `${entries.map(([name, backend]) => `      - name: ${name}\n        match: { path: { prefix: /${name} } }\n        backend: ${backend}`).join("\n")}\n`,
  );
}

async function call(url: string): Promise<[number, string]> {
  const response = await rawRequest(url);
  const body = response.body.toString();
  return [response.status, response.status === 200 ? body : (JSON.parse(body) as { code: string }).code];
}

describe("backend TLS", () => {
  it("trusts a custom CA bundle; the system CAs alone refuse the test CA", async () => {
    const upstream = await tlsUpstream(files.serverCert, files.serverKey);
    const gateway = await startTestGateway(
      routes([
        ["custom", `{ url: "${upstream.url}", pathPrefixRewrite: /, tls: { ca: "${files.ca}" } }`],
        ["system", `{ url: "${upstream.url}", pathPrefixRewrite: /, retries: { attempts: 0 } }`],
        ["unverified", `{ url: "${upstream.url}", pathPrefixRewrite: /, tls: { verify: false } }`],
      ]),
    );
    expect(await call(gateway.url("/custom"))).toEqual([200, "secure"]);
    expect(await call(gateway.url("/system"))).toEqual([502, "PCS_ERR_UPSTREAM_UNREACHABLE"]);
    expect(await call(gateway.url("/unverified"))).toEqual([200, "secure"]);
    expect(upstream.hits).toBe(2);
  });

  it("checks the host name unless told not to; servername sets SNI and the name checked", async () => {
    const upstream = await tlsUpstream(files.otherCert, files.otherKey); // a certificate for other.test only
    const gateway = await startTestGateway(
      routes([
        ["strict", `{ url: "${upstream.url}", pathPrefixRewrite: /, retries: { attempts: 0 }, tls: { ca: "${files.ca}" } }`],
        ["nameless", `{ url: "${upstream.url}", pathPrefixRewrite: /, tls: { ca: "${files.ca}", verifyHostname: false } }`],
        ["sni", `{ url: "${upstream.url}", pathPrefixRewrite: /, tls: { ca: "${files.ca}", servername: other.test } }`],
      ]),
    );
    expect(await call(gateway.url("/strict"))).toEqual([502, "PCS_ERR_UPSTREAM_UNREACHABLE"]);
    expect(await call(gateway.url("/nameless"))).toEqual([200, "secure"]);
    expect(await call(gateway.url("/sni"))).toEqual([200, "secure"]);
    expect(upstream.seen.map((s) => s.sni)).toEqual([false, "other.test"]); // no SNI for an IP address
  });

  it("presents a client certificate to an upstream that requires one (mTLS)", async () => {
    const upstream = await tlsUpstream(files.serverCert, files.serverKey, true);
    const gateway = await startTestGateway(
      routes([
        ["anonymous", `{ url: "${upstream.url}", pathPrefixRewrite: /, retries: { attempts: 0 }, tls: { ca: "${files.ca}" } }`],
        ["mtls", `{ url: "${upstream.url}", pathPrefixRewrite: /, tls: { ca: "${files.ca}", cert: "${files.clientCert}", key: "${files.clientKey}" } }`],
      ]),
    );
    const [status] = await call(gateway.url("/anonymous"));
    expect(status).toBe(502);
    expect(await call(gateway.url("/mtls"))).toEqual([200, "secure"]);
    expect(upstream.seen.map((s) => s.clientCn)).toEqual(["gateway-client"]);
  });

  it("refuses a config whose TLS files are missing, naming the YAML line", async () => {
    const { parseConfigText } = await import("../../host/src/index.js");
    const yaml = routes([["x", `{ url: "https://127.0.0.1:1", tls: { ca: "${join(dir, "missing.pem")}" } }`]]);
    expect(() => parseConfigText(yaml, { source: "gw.yaml", env: {} })).toThrow(/gw\.yaml:9:\d+ .*tls\.ca: file not found/);
  });
});
