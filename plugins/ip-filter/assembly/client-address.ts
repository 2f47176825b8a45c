// The client's address: the socket peer, or, when that peer is a trusted proxy, the right-most
// X-Forwarded-For entry that is not itself a trusted proxy. Entries left of it were written by
// the client (or by proxies we do not know) and are never believed.
import { Config, Request } from "@portcullis/sdk";
import { CidrRange, inAnyRange, parseAddress, parseCidr } from "./ip-address";

/** Reads the list of CIDR ranges at `key` (absent: empty), reporting the first bad entry by its index. */
export function readRanges(config: Config, key: string): Array<CidrRange> {
  const ranges = new Array<CidrRange>();
  const texts = config.optionalStringList(key);
  const list = new Config(config.json, config.path + "/" + key, config.problem);
  for (let i = 0; i < texts.length; i++) {
    const parsed = parseCidr(texts[i].trim());
    const range = parsed.range;
    if (range === null) {
      list.invalid(i.toString(), "\"" + texts[i] + "\" " + parsed.error);
      return ranges;
    }
    ranges.push(range);
  }
  return ranges;
}

/** The client address as 16 bytes, or null when the socket address or a believed entry is malformed. */
export function clientAddress(request: Request, trustedProxies: Array<CidrRange>): Uint8Array | null {
  let address = parseAddress(request.clientAddress);
  if (address === null || !inAnyRange(address, trustedProxies)) return address;
  const headers = request.headers.getAll("x-forwarded-for");
  const entries = new Array<string>();
  for (let i = 0; i < headers.length; i++) {
    if (headers[i].trim() == "") continue;
    const parts = headers[i].split(",");
    for (let j = 0; j < parts.length; j++) entries.push(parts[j].trim());
  }
  for (let i = entries.length - 1; i >= 0; i--) {
    const hop = parseAddress(entries[i]);
    if (hop === null) return null;
    address = hop;
    if (!inAnyRange(hop, trustedProxies)) break;
  }
  return address;
}
