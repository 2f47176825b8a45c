import { createHash, timingSafeEqual } from "node:crypto";
import type { CryptoError, Result } from "../../contract.js";
import { lazyModule } from "../../lazy-module.js";
import { md5Crypt } from "./md5-crypt.js";
import { shaCrypt } from "./sha-crypt.js";

/** bcryptjs: loaded by the first bcrypt hash checked (the other formats need only node:crypto). */
export const loadBcrypt = lazyModule<typeof import("bcryptjs")>("bcryptjs");

/**
 * Checks `password` against a hash in one of the formats htpasswd and crypt(3)
 * write: bcrypt (`$2y$`, `$2a$`, `$2b$`), `{SHA}` (base64 SHA-1), SHA-crypt
 * (`$5$`, `$6$`) and MD5-crypt (`$apr1$`, `$1$`).
 */
export function verifyPassword(hash: string, password: string): Result<boolean, CryptoError> {
  if (/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
    return { tag: "ok", val: loadBcrypt().compareSync(password, hash) };
  }
  if (hash.startsWith("{SHA}")) {
    const expected = createHash("sha1").update(password).digest("base64");
    return { tag: "ok", val: equalText(expected, hash.slice(5)) };
  }
  const computed =
    hash.startsWith("$5$") || hash.startsWith("$6$")
      ? shaCrypt(password, hash)
      : hash.startsWith("$apr1$") || hash.startsWith("$1$")
        ? md5Crypt(password, hash)
        : undefined;
  if (computed === undefined) {
    return { tag: "err", val: { tag: "unsupported-hash", val: `unsupported password hash format "${hash.slice(0, 6)}..."` } };
  }
  return { tag: "ok", val: equalText(computed, hash) };
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
