import { constants, createHash, createHmac, timingSafeEqual, verify } from "node:crypto";
import type { Capabilities, SignatureAlgorithm } from "../contract.js";
import { publicKeyFor } from "./jwk-keys.js";
import { verifyPassword } from "./password/verify-password.js";

const DIGEST_OF: Record<SignatureAlgorithm, string | null> = {
  rs256: "sha256",
  rs384: "sha384",
  rs512: "sha512",
  ps256: "sha256",
  ps384: "sha384",
  ps512: "sha512",
  es256: "sha256",
  es384: "sha384",
  es512: "sha512",
  eddsa: null,
};

/** The `crypto` capability: node:crypto for digests and signatures, no guest-side crypto. */
export function createCrypto(): Capabilities["crypto"] {
  return {
    hash: (algorithm, data) => new Uint8Array(createHash(algorithm).update(data).digest()),
    hmac: (algorithm, key, data) => new Uint8Array(createHmac(algorithm, key).update(data).digest()),
    constantTimeEqual(a, b) {
      // Unequal lengths answer at once: the time then depends only on the lengths.
      return a.byteLength === b.byteLength && timingSafeEqual(a, b);
    },
    verifySignature(algorithm, jwk, data, signature) {
      const lookup = publicKeyFor(algorithm, jwk);
      if (lookup.tag === "err") return lookup;
      const key = lookup.val;
      const options = algorithm.startsWith("ps")
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : algorithm.startsWith("es")
          ? { key, dsaEncoding: "ieee-p1363" as const }
          : key;
      try {
        return { tag: "ok", val: verify(DIGEST_OF[algorithm], data, options, signature) };
      } catch {
        // A signature of the wrong shape (e.g. length) is a signature that does not match.
        return { tag: "ok", val: false };
      }
    },
    verifyPassword,
  };
}
