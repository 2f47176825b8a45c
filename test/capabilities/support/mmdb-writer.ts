/**
 * A minimal writer of MaxMind DB files (format 2.0, as published at
 * maxmind.github.io/MaxMind-DB), enough to build tiny test databases: a binary
 * search tree with 24-bit records, a data section of maps, strings, unsigned
 * integers and arrays, and the metadata map.
 */
import { isIPv4 } from "node:net";

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** CIDR, e.g. `81.2.69.0/24` or `2001:db8::/32`. */
  network: string;
  data: MmdbValue;
}

interface TreeNode {
  children: [TreeNode | number | undefined, TreeNode | number | undefined];
}

const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from("MaxMind.com")]);

/**
 * Builds an IPv6 database (IPv4 networks live under ::/96, where readers look them up).
 * List a network before the more specific networks inside it.
 */
export function writeMmdb(networks: MmdbNetwork[], databaseType = "Portcullis-Test-Country"): Buffer {
  const data: Buffer[] = [];
  let dataSize = 0;
  const root: TreeNode = { children: [undefined, undefined] };
  for (const { network, data: record } of networks) {
    const encoded = encodeValue(record);
    const offset = dataSize;
    data.push(encoded);
    dataSize += encoded.length;
    insert(root, networkBits(network), offset);
  }

  const nodes: TreeNode[] = [];
  const number = (node: TreeNode): void => {
    nodes.push(node);
    for (const child of node.children) if (typeof child === "object") number(child);
  };
  number(root);
  const ids = new Map(nodes.map((node, index) => [node, index]));
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((node, index) => {
    node.children.forEach((child, side) => {
      const record = child === undefined ? nodeCount : typeof child === "number" ? nodeCount + 16 + child : ids.get(child)!;
      tree.writeUIntBE(record, index * 6 + side * 3, 3);
    });
  });

  const metadata = encodeValue({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 6,
    database_type: databaseType,
    languages: ["en"],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: Math.floor(Date.now() / 1000),
    description: { en: "Portcullis test database" },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, METADATA_MARKER, metadata]);
}

function insert(root: TreeNode, bits: number[], dataOffset: number): void {
  let node = root;
  bits.forEach((bit, depth) => {
    const side = bit as 0 | 1;
    if (depth === bits.length - 1) {
      node.children[side] = dataOffset;
      return;
    }
    let next = node.children[side];
    if (typeof next !== "object") {
      // A shorter network stored here is pushed down to both halves.
      next = { children: [next, next] };
      node.children[side] = next;
    }
    node = next;
  });
}

function networkBits(cidr: string): number[] {
  const [address = "", lengthText] = cidr.split("/");
  const v4 = isIPv4(address);
  const bytes = v4 ? [...Array(12).fill(0), ...address.split(".").map(Number)] : ipv6Bytes(address);
  const length = Number(lengthText ?? (v4 ? 32 : 128)) + (v4 ? 96 : 0);
  const bits: number[] = [];
  for (let i = 0; i < length; i++) bits.push((bytes[i >> 3]! >> (7 - (i & 7))) & 1);
  return bits;
}

function ipv6Bytes(address: string): number[] {
  const [head = "", tail = ""] = address.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = address.includes("::") ? groups(tail) : [];
  const all = [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

/** Control byte(s) for `type` (1-15) and `size`, per the format's size encoding. */
function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const first = (extended ? 0 : type) << 5;
  const typeByte = extended ? [type - 7] : [];
  if (size < 29) return Buffer.from([first | size, ...typeByte]);
  if (size < 285) return Buffer.from([first | 29, ...typeByte, size - 29]);
  if (size < 65_821) return Buffer.from([first | 30, ...typeByte, (size - 285) >> 8, (size - 285) & 0xff]);
  const rest = size - 65_821;
  return Buffer.from([first | 31, ...typeByte, rest >> 16, (rest >> 8) & 0xff, rest & 0xff]);
}

function encodeValue(value: MmdbValue): Buffer {
  if (typeof value === "string") {
    const bytes = Buffer.from(value);
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === "boolean") return control(14, value ? 1 : 0);
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`unsupported number ${value}`);
    const bytes: number[] = [];
    for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    return Buffer.concat([control(6, bytes.length), Buffer.from(bytes)]); // uint32
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encodeValue)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([key, item]) => [encodeValue(key), encodeValue(item)])]);
}
