import type { IncomingHttpHeaders } from "node:http";
import { connectionListed, isHopByHop } from "./hop-by-hop.js";

/** Request headers the gateway computes itself instead of copying. */
const RECOMPUTED = new Set(["host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id"]);

export interface ForwardingFacts {
  /** A request flow replaced the body: drop Content-Length (undici sets it for the new body). */
  replacedBody?: boolean;
  /** The client's headers may be trusted (it is a trusted proxy). */
  trusted: boolean;
  clientIp: string;
  proto: "http" | "https";
  requestId: string;
  /** Host header to send upstream. */
  upstreamHost: string;
  /** For WebSocket handshakes: keep `Connection: upgrade` and `Upgrade`. */
  upgrade?: string;
}

/**
 * Builds the upstream request headers from the client's raw header list, as a flat name/value array:
 * drops hop-by-hop headers (and those the Connection header names), then sets Host, X-Forwarded-For
 * (appended to when the client is trusted, replaced otherwise), X-Forwarded-Proto, X-Forwarded-Host
 * and x-request-id.
 */
export function buildUpstreamHeaders(rawHeaders: readonly string[], facts: ForwardingFacts): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  let host: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === 10 && rawHeaders[i]!.toLowerCase() === "connection") connection = rawHeaders[i + 1];
  }
  const listed = connectionListed(connection);
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (RECOMPUTED.has(lower)) {
      if (lower === "x-forwarded-for") forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
      else if (lower === "x-forwarded-proto") forwardedProto ??= value;
      else if (lower === "x-forwarded-host") forwardedHost ??= value;
      else if (lower === "host") host = value;
      continue;
    }
    if (isHopByHop(lower) || listed?.has(lower)) continue;
    if (facts.replacedBody && lower === "content-length") continue;
    out.push(name, value);
  }
  out.push("host", facts.upstreamHost);
  out.push("x-forwarded-for", facts.trusted && forwardedFor ? `${forwardedFor}, ${facts.clientIp}` : facts.clientIp);
  out.push("x-forwarded-proto", (facts.trusted && forwardedProto) || facts.proto);
  const originalHost = (facts.trusted && forwardedHost) || host;
  if (originalHost) out.push("x-forwarded-host", originalHost);
  out.push("x-request-id", facts.requestId);
  if (facts.upgrade) out.push("connection", "upgrade", "upgrade", facts.upgrade);
  return out;
}

/** Copies upstream response headers as a flat array without hop-by-hop ones, adding x-request-id. */
export function buildResponseHeaders(headers: IncomingHttpHeaders, requestId: string): string[] {
  const out: string[] = [];
  const connection = headers.connection;
  const listed = connectionListed(Array.isArray(connection) ? connection.join(",") : connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || isHopByHop(name) || listed?.has(name) || name === "x-request-id") continue;
    if (Array.isArray(value)) for (const item of value) out.push(name, item);
    else out.push(name, value);
  }
  out.push("x-request-id", requestId);
  return out;
}
