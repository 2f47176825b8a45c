import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createSecureContext, type SecureContextOptions, type TLSSocket } from "node:tls";
import type { ConfigIssue } from "../config/check-config.js";
import type { ClientCertificatesConfig, TlsConfig } from "../config/schema.js";
import type { HttpErrorCode } from "../errors.js";

/**
 * mTLS on HTTPS listeners (`tls.clientCertificates`): the TLS options that ask for and verify client
 * certificates, what each connection proved, and the verified certificate as request metadata
 * `clientCert`, which policies read like any metadata and CEL reads as `metadata.clientCert` (no change
 * to the WIT world: see docs/configuration.md). client-certificate-gate.ts refuses the connections.
 */

/** The metadata key holding the verified client certificate. */
export const CLIENT_CERT_METADATA = "clientCert";

/** What a TLS connection proved, computed once per connection. */
interface PeerIdentity {
  /** The [key, JSON] metadata entry of a verified certificate, else undefined. */
  entry: [string, string] | undefined;
  /** Why requests on this connection are refused, else undefined. */
  refusal: HttpErrorCode | undefined;
}

const identities = new WeakMap<object, PeerIdentity>();

/** Asking for client certificates; OpenSSL refuses by itself only when one is required at the handshake. */
export function clientCertificateOptions(tls: TlsConfig): { requestCert?: boolean; rejectUnauthorized?: boolean } {
  const mtls = tls.clientCertificates;
  return mtls ? { requestCert: true, rejectUnauthorized: mtls.required && mtls.refuse === "handshake" } : {};
}

/** The secure-context part of mTLS (trusted CAs and CRL), read now: for the server and for a reload's new context. */
export function clientCaFiles(mtls: ClientCertificatesConfig | undefined, baseDir: string): SecureContextOptions {
  return mtls ? trustOptions(mtls, baseDir) : {};
}

function trustOptions(mtls: ClientCertificatesConfig, baseDir: string): SecureContextOptions {
  return { ca: readFileSync(resolve(baseDir, mtls.ca)), crl: mtls.crl ? readFileSync(resolve(baseDir, mtls.crl)) : undefined };
}

/** The metadata a request starts with: the verified client certificate of its connection, if any. */
export function clientCertificateMetadata(socket: object): Array<[string, string]> | undefined {
  const entry = identities.get(socket)?.entry;
  return entry ? [[entry[0], entry[1]]] : undefined; // a fresh list per request: flows replace or edit it
}

/** Records what a new TLS connection proved; read back by the request handlers and clientCertificateMetadata. */
export function identifyConnection(socket: TLSSocket, mtls: ClientCertificatesConfig): PeerIdentity {
  const identity = identify(socket, mtls);
  identities.set(socket, identity);
  return identity;
}

/** Why requests on this connection are refused (401/403), or undefined. */
export function connectionRefusal(socket: object): HttpErrorCode | undefined {
  return identities.get(socket)?.refusal;
}

function identify(socket: TLSSocket, mtls: ClientCertificatesConfig): PeerIdentity {
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return { entry: undefined, refusal: mtls.required ? "PCS_ERR_CLIENT_CERT_REQUIRED" : undefined };
  if (!socket.authorized) return { entry: undefined, refusal: "PCS_ERR_CLIENT_CERT_INVALID" };
  return { entry: [CLIENT_CERT_METADATA, JSON.stringify(describeCertificate(cert))], refusal: undefined };
}

/** The attributes of a verified certificate, as policies and expressions see them (docs/configuration.md). */
export function describeCertificate(cert: X509Certificate) {
  const sans = subjectAltNames(cert.subjectAltName ?? "");
  const spiffe = sans.uris.filter((uri) => uri.startsWith("spiffe://"));
  return {
    subject: cert.subject.split("\n").join(","),
    commonName: /^CN=(.*)$/m.exec(cert.subject)?.[1] ?? "",
    issuer: cert.issuer.split("\n").join(","),
    serialNumber: cert.serialNumber.toLowerCase(),
    fingerprintSha256: cert.fingerprint256.replaceAll(":", "").toLowerCase(),
    dnsNames: sans.dns,
    uris: sans.uris,
    emails: sans.emails,
    ips: sans.ips,
    // A SPIFFE X.509-SVID carries exactly one SPIFFE ID; several make none trustworthy.
    spiffeId: spiffe.length === 1 ? spiffe[0]! : "",
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

/** Node's `subjectAltName` text: `DNS:a, URI:b, IP Address:c, email:d`; values with special characters are JSON-quoted. */
function subjectAltNames(text: string) {
  const found = { dns: [] as string[], uris: [] as string[], emails: [] as string[], ips: [] as string[] };
  for (const [, kind, raw] of text.matchAll(/(DNS|URI|IP Address|email|[A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const value = raw!.startsWith('"') ? (JSON.parse(raw!) as string) : raw!;
    if (kind === "DNS") found.dns.push(value);
    else if (kind === "URI") found.uris.push(value);
    else if (kind === "email") found.emails.push(value);
    else if (kind === "IP Address") found.ips.push(value);
  }
  return found;
}

/** Config checks (names the YAML line): the CA bundle and CRL exist and are PEM that OpenSSL accepts. */
export function checkClientCertificates(mtls: ClientCertificatesConfig | undefined, at: Array<string | number>, baseDir: string): ConfigIssue[] {
  if (!mtls) return [];
  const issues: ConfigIssue[] = [];
  for (const [field, label] of [
    ["ca", "CERTIFICATE"],
    ["crl", "X509 CRL"],
  ] as const) {
    const path = mtls[field];
    if (path === undefined) continue;
    const file = resolve(baseDir, path);
    const where = [...at, "tls", "clientCertificates", field];
    if (!existsSync(file)) issues.push({ path: where, message: `file not found: ${file}` });
    else if (!readFileSync(file, "latin1").includes(`-----BEGIN ${label}-----`)) issues.push({ path: where, message: `no PEM ${label} in ${file}` });
  }
  if (issues.length > 0) return issues;
  try {
    new X509Certificate(readFileSync(resolve(baseDir, mtls.ca)));
    createSecureContext(trustOptions(mtls, baseDir));
  } catch (error) {
    issues.push({ path: [...at, "tls", "clientCertificates"], message: `the CA bundle or CRL is not usable: ${(error as Error).message}` });
  }
  return issues;
}
