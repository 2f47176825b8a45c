// Store keys: SHA-256 (crypto capability) of the request's identity, so the store never sees paths,
// queries or consumer names, and keys have one length whatever the request.
import { Crypto, Headers } from "@portcullis/sdk";

/** Separates key parts; cannot occur in a method, path, query or JSON text from CEL. */
const SEPARATOR = "\u0000";
/** Stands for an absent header in a variant key (an empty one is "" and must differ). */
const ABSENT = "\u0001";

/** Prefix of every key this policy writes (v1: the value format of entry.ts). */
const PREFIX = "cache:v1:";

/** The key of the request without Vary: scope, method, path, query and the configured parts (JSON texts). */
export function primaryKey(scope: string, method: string, path: string, query: string, parts: Array<string>): string {
  return PREFIX + Crypto.sha256Hex([scope, method, path, query].concat(parts).join(SEPARATOR));
}

/** The key of one variant: the primary key and the request's values of the fields the response varies on. */
export function variantKey(primary: string, names: Array<string>, headers: Headers): string {
  const parts = [primary];
  for (let i = 0; i < names.length; i++) {
    const values = headers.getAll(names[i]);
    parts.push(names[i] + SEPARATOR + (values.length == 0 ? ABSENT : values.join(", ")));
  }
  return PREFIX + Crypto.sha256Hex(parts.join(SEPARATOR));
}

/** The field names of every `Vary` header, lower-case, deduplicated and sorted ("*" kept as is). */
export function varyNames(headers: Headers): Array<string> {
  const names = new Array<string>();
  const fields = headers.getAll("vary");
  for (let f = 0; f < fields.length; f++) {
    const items = fields[f].split(",");
    for (let i = 0; i < items.length; i++) {
      const name = items[i].trim().toLowerCase();
      if (name.length > 0 && !names.includes(name)) names.push(name);
    }
  }
  names.sort();
  return names;
}
