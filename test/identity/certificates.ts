import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Test PKI made with openssl in a temporary folder: a server certificate for 127.0.0.1, a client CA,
 * client certificates signed by it (with SANs such as SPIFFE URIs), one of them revoked in the CA's CRL,
 * and a client certificate from a CA the gateway does not trust. EC P-256 keys keep generation fast.
 */
export interface TestPki {
  dir: string;
  /** Absolute paths of the server's certificate and key, and of the client CA bundle and its CRL. */
  /** `crl` revokes "revoked"; `laterCrl`, issued after it, revokes "alice" too. */
  files: { serverCert: string; serverKey: string; clientCa: string; crl: string; laterCrl: string };
  /** PEM text of the server certificate (clients trust it). */
  serverCa: string;
  client(name: ClientName): { cert: string; key: string };
  /** YAML of an HTTPS listener "main" on 127.0.0.1:0 with this PKI's server certificate and `clientCertificates`; `routes:` follows. */
  listenerYaml(clientCertificates: string): string;
  remove(): void;
}

export type ClientName = "alice" | "revoked" | "stranger";

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-pki-"));
  const at = (file: string) => join(dir, file);
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const key = (name: string) => run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
  const selfSigned = (name: string, subject: string, ext: string) => {
    key(name);
    writeFileSync(at(`${name}.ext`), ext);
    run("req", "-x509", "-new", "-key", `${name}.key`, "-subj", subject, "-days", "2", "-out", `${name}.pem`, "-extensions", "v3", "-config", `${name}.ext`);
  };
  const signed = (name: string, subject: string, ca: string, sans: string) => {
    key(name);
    run("req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`);
    writeFileSync(at(`${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nsubjectAltName=${sans}\n`);
    run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-sha256",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
    );
  };
  const caExtensions = "[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";
  selfSigned("client-ca", "/O=Portcullis Test/CN=Client CA", caExtensions);
  selfSigned("other-ca", "/CN=Untrusted CA", caExtensions);
  selfSigned("server", "/CN=127.0.0.1", "[req]\ndistinguished_name=dn\n[dn]\n[v3]\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
  signed("alice", "/O=Acme/CN=alice", "client-ca", "URI:spiffe://acme.test/ns/shop/sa/alice,DNS:alice.acme.test,email:alice@acme.test");
  signed("revoked", "/O=Acme/CN=mallory", "client-ca", "URI:spiffe://acme.test/ns/shop/sa/mallory");
  signed("stranger", "/CN=alice", "other-ca", "URI:spiffe://acme.test/ns/shop/sa/alice");
  writeFileSync(at("index.txt"), "");
  writeFileSync(at("crlnumber"), "01\n");
  writeFileSync(
    at("ca.cnf"),
    "[ca]\ndefault_ca=own\n[own]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=2\n" +
      "certificate=client-ca.pem\nprivate_key=client-ca.key\n",
  );
  run("ca", "-config", "ca.cnf", "-revoke", "revoked.pem");
  run("ca", "-config", "ca.cnf", "-gencrl", "-out", "client-ca.crl.pem");
  run("ca", "-config", "ca.cnf", "-revoke", "alice.pem");
  run("ca", "-config", "ca.cnf", "-gencrl", "-out", "client-ca-later.crl.pem");
  return {
    dir,
    files: {
      serverCert: at("server.pem"),
      serverKey: at("server.key"),
      clientCa: at("client-ca.pem"),
      crl: at("client-ca.crl.pem"),
      laterCrl: at("client-ca-later.crl.pem"),
    },
    serverCa: readFileSync(at("server.pem"), "utf8"),
    client: (name) => ({ cert: readFileSync(at(`${name}.pem`), "utf8"), key: readFileSync(at(`${name}.key`), "utf8") }),
    listenerYaml: (clientCertificates) =>
      `listeners:\n  - name: main\n    host: 127.0.0.1\n    port: 0\n    tls:\n      cert: ${at("server.pem")}\n      key: ${at("server.key")}\n` +
      `      clientCertificates: ${clientCertificates}\n`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
