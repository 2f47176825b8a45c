import { createHash } from "node:crypto";
import { cryptBase64Group } from "./crypt-base64.js";

/**
 * Poul-Henning Kamp's MD5-crypt: `$1$`, and `$apr1$`, the variant Apache's
 * htpasswd writes by default (same algorithm, another magic string). Returns the
 * full hash string, or undefined when `setting` is not such a string.
 */
export function md5Crypt(password: string, setting: string): string | undefined {
  const match = /^(\$apr1\$|\$1\$)([^$]{0,8})[^$]*(?:\$|$)/.exec(setting);
  if (!match) return undefined;
  const [, magic = "", salt = ""] = match;
  const pw = Buffer.from(password);
  const saltBytes = Buffer.from(salt);

  const alternate = createHash("md5").update(pw).update(saltBytes).update(pw).digest();
  const initial = createHash("md5").update(pw).update(magic).update(saltBytes);
  for (let left = pw.length; left > 0; left -= 16) initial.update(alternate.subarray(0, Math.min(left, 16)));
  for (let length = pw.length; length > 0; length >>= 1) {
    initial.update(length & 1 ? Buffer.of(0) : pw.subarray(0, 1));
  }
  let current = initial.digest();

  for (let round = 0; round < 1000; round++) {
    const step = createHash("md5");
    step.update(round & 1 ? pw : current);
    if (round % 3 !== 0) step.update(saltBytes);
    if (round % 7 !== 0) step.update(pw);
    step.update(round & 1 ? current : pw);
    current = step.digest();
  }

  const d = current;
  const encoded =
    cryptBase64Group(d[0]!, d[6]!, d[12]!, 4) +
    cryptBase64Group(d[1]!, d[7]!, d[13]!, 4) +
    cryptBase64Group(d[2]!, d[8]!, d[14]!, 4) +
    cryptBase64Group(d[3]!, d[9]!, d[15]!, 4) +
    cryptBase64Group(d[4]!, d[10]!, d[5]!, 4) +
    cryptBase64Group(0, 0, d[11]!, 2);
  return `${magic}${salt}$${encoded}`;
}
