import { isIP, isIPv6 } from "node:net";
import { isTrusted } from "../listeners/listener-runtime.js";
import type { Exchange } from "../proxy/exchange.js";

/**
 * The client a request-driven policy failure is charged to (see Quarantine): the connecting
 * address, or, when that is a trusted proxy, the nearest untrusted address in X-Forwarded-For
 * (the proxies' own entries are skipped from the right; anything further left is the client's
 * word and could be forged). IPv6 clients are keyed by their /64, which one host usually holds
 * whole, so rotating addresses inside it does not escape a quarantine.
 */
export function clientKeyOf(ex: Exchange): string {
  let address = ex.clientIp;
  if (ex.clientTrusted) {
    const hops = forwardedFor(ex.rawHeaders);
    for (let i = hops.length - 1; i >= 0; i--) {
      address = hops[i]!;
      // Not an address: a proxy passed junk through. Charge it as it is (bounded).
      if (isIP(address) === 0) return address.slice(0, 64);
      if (!isTrusted(ex.listener.trustedProxies, address)) break;
    }
  }
  return isIPv6(address) ? ipv6Prefix64(address) : address;
}

/** Every X-Forwarded-For entry, in order, across repeated header lines. */
function forwardedFor(raw: readonly string[]): string[] {
  const hops: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 15 || raw[i]!.toLowerCase() !== "x-forwarded-for") continue;
    for (const part of raw[i + 1]!.split(",")) {
      const hop = part.trim();
      if (hop !== "") hops.push(hop);
    }
  }
  return hops;
}

/** The first four groups of an IPv6 address, expanded ("2001:db8:0:1::/64"). */
function ipv6Prefix64(address: string): string {
  const [head = "", tail = ""] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = address.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
