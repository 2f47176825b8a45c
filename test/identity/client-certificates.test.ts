import { X509Certificate } from "node:crypto";
import { request } from "node:https";
import { connect } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Agent, request as undiciRequest } from "undici";
import { parseConfigText } from "../../host/src/index.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { echoUpstream, type CountingUpstream } from "../support/counting-upstream.js";
import { builtPolicy } from "../support/plugin-examples.js";
import { stopAll } from "../support/servers.js";
import { createTestPki, type ClientName, type TestPki } from "./certificates.js";

// mTLS on an HTTPS listener, with certificates made by openssl for this file and real TLS clients
// (node:https and undici): who gets in, how refusals look, and what policies and CEL see of the certificate.

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.remove());
afterEach(stopAll);

const ALICE_SPIFFE = "spiffe://acme.test/ns/shop/sa/alice";

/** A gateway whose listener asks for client certificates; the route copies what CEL sees of the certificate upstream. */
async function mtlsGateway(clientCertificates: string, routePolicies = ""): Promise<{ gateway: TestGateway; upstream: CountingUpstream }> {
  const upstream = await echoUpstream();
  const gateway = await startTestGateway(`
plugins:
  headers: { path: ${builtPolicy("headers")}, capabilities: { expression: true } }
  authorize: { path: ${builtPolicy("authorize")}, capabilities: { expression: true } }
logging: { accessLog: { metadata: [clientCert.fingerprintSha256] } }
${pki.listenerYaml(clientCertificates)}    routes:
      - name: up
        policies:
          request:${routePolicies}
            - plugin: headers
              when: has(metadata.clientCert)
              with:
                set:
                  x-client-spiffe: { expression: metadata.clientCert.spiffeId }
                  x-client-subject: { expression: metadata.clientCert.subject }
                  x-client-dns: { expression: 'metadata.clientCert.dnsNames.join(",")' }
        backend: { url: ${upstream.url} }
`);
  return { gateway, upstream };
}

interface Outcome {
  status: number;
  body: string;
}

/** One request over a fresh TLS connection with node:https, as `client` (or without a certificate). */
function httpsGet(url: string, client?: ClientName): Promise<Outcome> {
  const identity = client ? pki.client(client) : {};
  return new Promise((resolve, reject) => {
    request(url, { ...identity, ca: pki.serverCa, agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

const upstreamHeaders = (outcome: Outcome) => (JSON.parse(outcome.body) as { headers: Record<string, string> }).headers;
const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256.replaceAll(":", "").toLowerCase();

describe("mTLS client certificates", () => {
  it("required at the handshake: a trusted certificate gets in with its attributes; none, an untrusted or a revoked one never reach a route", async () => {
    const { gateway, upstream } = await mtlsGateway(`{ ca: ${pki.files.clientCa}, crl: ${pki.files.crl} }`);
    const alice = await httpsGet(gateway.url("/orders"), "alice");
    expect(alice.status).toBe(200);
    const seen = upstreamHeaders(alice);
    expect(seen["x-client-spiffe"]).toBe(ALICE_SPIFFE);
    expect(seen["x-client-subject"]).toBe("O=Acme,CN=alice");
    expect(seen["x-client-dns"]).toBe("alice.acme.test");
    const line = gateway.logs.find((entry) => entry.msg === "request" && entry.path === "/orders");
    expect(line?.metadata).toEqual({ "clientCert.fingerprintSha256": fingerprintOf(pki.client("alice").cert) });

    for (const client of [undefined, "stranger", "revoked"] as const) {
      await expect(httpsGet(gateway.url("/orders"), client)).rejects.toThrow(/alert|ECONNRESET|socket hang up|certificate/i);
    }
    expect(upstream.hits()).toBe(1);
  });

  it("required, refused with a status: 401 without a certificate, 403 for an untrusted or revoked one (undici clients)", async () => {
    const { gateway, upstream } = await mtlsGateway(`{ ca: ${pki.files.clientCa}, crl: ${pki.files.crl}, refuse: status }`);
    const viaUndici = async (client?: ClientName) => {
      const dispatcher = new Agent({ connect: { ...(client ? pki.client(client) : {}), ca: pki.serverCa } });
      try {
        const res = await undiciRequest(gateway.url("/orders"), { dispatcher });
        return { status: res.statusCode, body: (await res.body.json()) as { code?: string; headers?: Record<string, string> } };
      } finally {
        await dispatcher.close();
      }
    };
    expect(await viaUndici()).toMatchObject({ status: 401, body: { code: "PCS_ERR_CLIENT_CERT_REQUIRED" } });
    expect(await viaUndici("stranger")).toMatchObject({ status: 403, body: { code: "PCS_ERR_CLIENT_CERT_INVALID" } });
    expect(await viaUndici("revoked")).toMatchObject({ status: 403, body: { code: "PCS_ERR_CLIENT_CERT_INVALID" } });
    expect(upstream.hits()).toBe(0);
    const alice = await viaUndici("alice");
    expect(alice.status).toBe(200);
    expect(alice.body.headers?.["x-client-spiffe"]).toBe(ALICE_SPIFFE);
    expect(upstream.hits()).toBe(1);
  });

  it("optional: clients without a certificate get in without clientCert, authorize rules read the SPIFFE ID, a bad certificate is still refused", async () => {
    const authorize = `
            - plugin: authorize
              with:
                default: deny
                rules:
                  - { effect: allow, methods: [GET], when: '!has(metadata.clientCert)' }
                  - { effect: allow, when: 'has(metadata.clientCert) && metadata.clientCert.spiffeId == "${ALICE_SPIFFE}"' }`;
    const { gateway } = await mtlsGateway(`{ ca: ${pki.files.clientCa}, crl: ${pki.files.crl}, required: false }`, authorize);
    const anonymous = await httpsGet(gateway.url("/orders"));
    expect(anonymous.status).toBe(200);
    expect(upstreamHeaders(anonymous)["x-client-spiffe"]).toBeUndefined();
    const alice = await httpsGet(gateway.url("/orders"), "alice");
    expect(upstreamHeaders(alice)["x-client-spiffe"]).toBe(ALICE_SPIFFE);
    await expect(httpsGet(gateway.url("/orders"), "revoked")).rejects.toThrow(/ECONNRESET|socket hang up|alert/i);
  });

  it("optional with status refusals: a presented certificate that fails verification is answered 403, never treated as anonymous", async () => {
    const { gateway, upstream } = await mtlsGateway(`{ ca: ${pki.files.clientCa}, required: false, refuse: status }`);
    expect((await httpsGet(gateway.url("/x"))).status).toBe(200);
    const stranger = await httpsGet(gateway.url("/x"), "stranger");
    expect(stranger.status).toBe(403);
    expect(JSON.parse(stranger.body)).toMatchObject({ code: "PCS_ERR_CLIENT_CERT_INVALID" });
    expect(upstream.hits()).toBe(1);
  });

  it("refuses a WebSocket upgrade without a certificate with 401 too, before any route or upstream", async () => {
    const { gateway, upstream } = await mtlsGateway(`{ ca: ${pki.files.clientCa}, refuse: status }`);
    const { port } = new URL(gateway.url("/"));
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: Number(port), ca: pki.serverCa }, () => {
        socket.end(
          "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        );
      });
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    expect(head).toMatch(/^HTTP\/1\.1 401 /);
    expect(head).toContain("PCS_ERR_CLIENT_CERT_REQUIRED");
    expect(upstream.hits()).toBe(0);
  });
});

describe("mTLS configuration errors name the YAML line", () => {
  const yaml = (clientCertificates: string) =>
    `listeners:\n  - name: s\n    port: 0\n    tls:\n      cert: ${pki.files.serverCert}\n      key: ${pki.files.serverKey}\n      clientCertificates:\n${clientCertificates}`;

  it("refuses a missing CA bundle or CRL", () => {
    expect(() => parseConfigText(yaml("        ca: /nonexistent/ca.pem\n"))).toThrow(/:8:13 listeners\[0\]\.tls\.clientCertificates\.ca: file not found/);
    expect(() => parseConfigText(yaml(`        ca: ${pki.files.clientCa}\n        crl: /nonexistent/crl.pem\n`))).toThrow(
      /:9:14 listeners\[0\]\.tls\.clientCertificates\.crl: file not found/,
    );
  });

  it("refuses files that are not PEM certificates or CRLs, and unknown keys", () => {
    expect(() => parseConfigText(yaml(`        ca: ${pki.files.serverKey}\n`))).toThrow(/clientCertificates\.ca: no PEM CERTIFICATE/);
    expect(() => parseConfigText(yaml(`        ca: ${pki.files.clientCa}\n        crl: ${pki.files.clientCa}\n`))).toThrow(
      /clientCertificates\.crl: no PEM X509 CRL/,
    );
    expect(() => parseConfigText(yaml(`        ca: ${pki.files.clientCa}\n        refuse: 401\n`))).toThrow(/clientCertificates\.refuse/);
  });
});
