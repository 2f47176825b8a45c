/** Hop-by-hop headers (RFC 9110 section 7.6.1 and the legacy ones proxies still see), lower-case. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName);
}

/** Header names listed in a Connection header value (which are hop-by-hop too), or undefined if none. */
export function connectionListed(connectionValue: string | undefined): Set<string> | undefined {
  if (!connectionValue || isPlainConnectionValue(connectionValue)) return undefined;
  let listed: Set<string> | undefined;
  for (const token of connectionValue.split(",")) {
    const name = token.trim().toLowerCase();
    if (name && name !== "close" && name !== "keep-alive" && name !== "upgrade") (listed ??= new Set()).add(name);
  }
  return listed;
}

/** The values nearly every request and response carries, answered without splitting. */
function isPlainConnectionValue(value: string): boolean {
  return value === "keep-alive" || value === "close" || value === "Keep-Alive" || value === "Upgrade" || value === "upgrade";
}
