// IPv4 and IPv6 addresses, CIDR ranges, and the client address behind trusted proxies. Every
// address is held as 16 bytes, IPv4 as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so one
// comparison serves both families and a socket address reported as ::ffff:10.0.0.1 is in 10.0.0.0/8.
import { Config } from "./config";
import { RequestInfo } from "./messages";

const IPV4_MAPPED_PREFIX: i32 = 96;

function digitValue(code: i32, radix: i32): i32 {
  if (code >= 48 && code <= 57) return code - 48;
  if (radix == 16 && code >= 97 && code <= 102) return code - 87;
  if (radix == 16 && code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** Writes the dotted quad `text` into `out[at..at+4]`; false when it is not one (no leading zeros). */
function readIpv4(text: string, out: Uint8Array, at: i32): bool {
  const parts = text.split(".");
  if (parts.length != 4) return false;
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    if (part.length == 0 || part.length > 3 || (part.length > 1 && part.charCodeAt(0) == 48)) return false;
    let value = 0;
    for (let j = 0; j < part.length; j++) {
      const digit = digitValue(part.charCodeAt(j), 10);
      if (digit < 0) return false;
      value = value * 10 + digit;
    }
    if (value > 255) return false;
    out[at + i] = <u8>value;
  }
  return true;
}

/** Reads colon-separated hex groups (a dotted quad may end them) into `groups`; the count, or -1. */
function readGroups(text: string, groups: Array<i32>): i32 {
  if (text.length == 0) return 0;
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i == parts.length - 1 && part.includes(".")) {
      const quad = new Uint8Array(4);
      if (!readIpv4(part, quad, 0)) return -1;
      groups.push((<i32>quad[0] << 8) | quad[1]);
      groups.push((<i32>quad[2] << 8) | quad[3]);
      continue;
    }
    if (part.length == 0 || part.length > 4) return -1;
    let value = 0;
    for (let j = 0; j < part.length; j++) {
      const digit = digitValue(part.charCodeAt(j), 16);
      if (digit < 0) return -1;
      value = (value << 4) | digit;
    }
    groups.push(value);
  }
  return groups.length;
}

function readIpv6(text: string, out: Uint8Array): bool {
  const gap = text.indexOf("::");
  const head = new Array<i32>();
  const tail = new Array<i32>();
  if (gap < 0) {
    if (readGroups(text, head) != 8) return false;
  } else {
    if (text.indexOf("::", gap + 1) >= 0) return false;
    if (readGroups(text.substring(0, gap), head) < 0 || readGroups(text.substring(gap + 2), tail) < 0) return false;
    if (head.length + tail.length > 7) return false;
  }
  for (let i = 0; i < head.length; i++) {
    out[i * 2] = <u8>(head[i] >> 8);
    out[i * 2 + 1] = <u8>head[i];
  }
  const tailStart = 16 - tail.length * 2;
  for (let i = 0; i < tail.length; i++) {
    out[tailStart + i * 2] = <u8>(tail[i] >> 8);
    out[tailStart + i * 2 + 1] = <u8>tail[i];
  }
  return true;
}

/** An IPv4 or IPv6 address (IPv4 held IPv4-mapped), parsed strictly. */
export class IpAddress {
  /** 16 bytes; IPv4 in its IPv4-mapped form. */
  constructor(public readonly bytes: Uint8Array) {}

  /** `a.b.c.d` (no leading zeros) or an IPv6 address (`::`, an embedded dotted quad); no zone, no brackets. */
  static parse(text: string): IpAddress | null {
    const out = new Uint8Array(16);
    if (text.includes(":")) return readIpv6(text, out) ? new IpAddress(out) : null;
    out[10] = 0xff;
    out[11] = 0xff;
    return readIpv4(text, out, 12) ? new IpAddress(out) : null;
  }

  /**
   * The client: the socket peer, or, when that peer is a trusted proxy, the right-most
   * X-Forwarded-For entry that is not itself a trusted proxy (entries left of it were written by the
   * client and are never believed). Null when the peer or a believed entry is not an address.
   */
  static ofClient(request: RequestInfo, trustedProxies: CidrList): IpAddress | null {
    let address = IpAddress.parse(request.clientAddress);
    if (address === null || !trustedProxies.contains(address)) return address;
    const headers = request.headers.getAll("x-forwarded-for");
    const entries = new Array<string>();
    for (let i = 0; i < headers.length; i++) {
      if (headers[i].trim() == "") continue;
      const parts = headers[i].split(",");
      for (let j = 0; j < parts.length; j++) entries.push(parts[j].trim());
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const hop = IpAddress.parse(entries[i]);
      if (hop === null) return null;
      address = hop;
      if (!trustedProxies.contains(hop)) break;
    }
    return address;
  }

  /** True for IPv4 (held IPv4-mapped). */
  get isIpv4(): bool {
    for (let i = 0; i < 10; i++) if (this.bytes[i] != 0) return false;
    return this.bytes[10] == 0xff && this.bytes[11] == 0xff;
  }

  /** A dotted quad for IPv4, else eight hex groups without `::` compression (`2001:db8:0:0:0:0:0:1`). */
  toString(): string {
    const b = this.bytes;
    if (this.isIpv4) return b[12].toString() + "." + b[13].toString() + "." + b[14].toString() + "." + b[15].toString();
    const groups = new Array<string>(8);
    for (let i = 0; i < 8; i++) groups[i] = ((<i32>b[i * 2] << 8) | b[i * 2 + 1]).toString(16);
    return groups.join(":");
  }
}

/** An address range in CIDR notation whose host bits are zero. */
export class CidrRange {
  /** `prefix` counts bits of the 16-byte form (an IPv4 /8 is 104 here). */
  constructor(public readonly network: Uint8Array, public readonly prefix: i32) {}

  /** Parses `10.0.0.0/8`, `2001:db8::/32` or a single address (a /32 or /128); host bits must be zero. */
  static parse(text: string): CidrParse {
    const slash = text.indexOf("/");
    const addressText = slash < 0 ? text : text.substring(0, slash);
    const address = IpAddress.parse(addressText);
    if (address === null) return new CidrParse(null, "is not an IPv4 or IPv6 address or CIDR range");
    const network = address.bytes;
    const ipv4 = !addressText.includes(":");
    const maximum = ipv4 ? 32 : 128;
    let prefix = maximum;
    if (slash >= 0) {
      const digits = text.substring(slash + 1);
      if (digits.length == 0 || digits.length > 3) return new CidrParse(null, "has an invalid prefix length");
      prefix = 0;
      for (let i = 0; i < digits.length; i++) {
        const digit = digitValue(digits.charCodeAt(i), 10);
        if (digit < 0) return new CidrParse(null, "has an invalid prefix length");
        prefix = prefix * 10 + digit;
      }
      if (prefix > maximum) return new CidrParse(null, "has a prefix length above " + maximum.toString());
    }
    const range = new CidrRange(network, ipv4 ? prefix + IPV4_MAPPED_PREFIX : prefix);
    // A set host bit is almost always a typo (10.0.0.1/8 for 10.0.0.0/8); refuse it rather than guess.
    for (let bit = range.prefix; bit < 128; bit++) {
      if (((<i32>network[bit >> 3] >> (7 - (bit & 7))) & 1) != 0) return new CidrParse(null, "has host bits set after the prefix length");
    }
    return new CidrParse(range, "");
  }

  contains(address: IpAddress): bool {
    const bytes = address.bytes;
    const whole = this.prefix >> 3;
    for (let i = 0; i < whole; i++) if (bytes[i] != this.network[i]) return false;
    const rest = this.prefix & 7;
    if (rest == 0) return true;
    const mask: i32 = (0xff << (8 - rest)) & 0xff;
    return (<i32>bytes[whole] & mask) == <i32>this.network[whole];
  }
}

/** A parsed range, or the reason the text is not one. */
export class CidrParse {
  constructor(public readonly range: CidrRange | null, public readonly error: string) {}
}

/** A list of CIDR ranges read from configuration, for allow and deny lists. */
export class CidrList {
  constructor(public readonly ranges: Array<CidrRange> = []) {}

  /** The list of ranges at `key` of `config` (absent: empty), reporting the first bad entry by its index. */
  static read(config: Config, key: string): CidrList {
    const ranges = new Array<CidrRange>();
    const texts = config.optionalStringList(key);
    const list = new Config(config.json, config.path + "/" + key, config.problem);
    for (let i = 0; i < texts.length; i++) {
      const parsed = CidrRange.parse(texts[i].trim());
      const range = parsed.range;
      if (range === null) {
        list.invalid(i.toString(), "\"" + texts[i] + "\" " + parsed.error);
        break;
      }
      ranges.push(range);
    }
    return new CidrList(ranges);
  }

  get length(): i32 {
    return this.ranges.length;
  }

  contains(address: IpAddress): bool {
    for (let i = 0; i < this.ranges.length; i++) if (this.ranges[i].contains(address)) return true;
    return false;
  }
}
