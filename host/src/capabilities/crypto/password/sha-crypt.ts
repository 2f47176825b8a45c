import { createHash } from "node:crypto";
import { cryptBase64Group } from "./crypt-base64.js";

/**
 * SHA-crypt (`$5$` SHA-256, `$6$` SHA-512) as specified in Ulrich Drepper's
 * "Unix crypt using SHA-256 and SHA-512". Returns the full hash string for
 * `password` with the salt and rounds taken from `setting` (a full hash works),
 * or undefined when `setting` is not a SHA-crypt string.
 */
export function shaCrypt(password: string, setting: string): string | undefined {
  const match = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]{0,16})[^$]*(?:\$|$)/.exec(setting);
  if (!match) return undefined;
  const [, variant, roundsText, salt = ""] = match;
  const algorithm = variant === "5" ? "sha256" : "sha512";
  const rounds = roundsText === undefined ? 5000 : Math.min(999_999_999, Math.max(1000, Number(roundsText)));
  const digest = shaCryptDigest(algorithm, Buffer.from(password), Buffer.from(salt), rounds);
  const encoded = algorithm === "sha256" ? encodeSha256(digest) : encodeSha512(digest);
  const roundsPart = roundsText === undefined ? "" : `rounds=${rounds}$`;
  return `$${variant}$${roundsPart}${salt}$${encoded}`;
}

function shaCryptDigest(algorithm: "sha256" | "sha512", password: Buffer, salt: Buffer, rounds: number): Buffer {
  const alternate = createHash(algorithm).update(password).update(salt).update(password).digest();

  const initial = createHash(algorithm).update(password).update(salt);
  initial.update(repeatTo(alternate, password.length));
  for (let length = password.length; length > 0; length >>= 1) {
    initial.update(length & 1 ? alternate : password);
  }
  let current = initial.digest();

  const passwordDigest = createHash(algorithm);
  for (let i = 0; i < password.length; i++) passwordDigest.update(password);
  const passwordSequence = repeatTo(passwordDigest.digest(), password.length);

  const saltDigest = createHash(algorithm);
  for (let i = 0; i < 16 + current[0]!; i++) saltDigest.update(salt);
  const saltSequence = repeatTo(saltDigest.digest(), salt.length);

  for (let round = 0; round < rounds; round++) {
    const step = createHash(algorithm);
    step.update(round & 1 ? passwordSequence : current);
    if (round % 3 !== 0) step.update(saltSequence);
    if (round % 7 !== 0) step.update(passwordSequence);
    step.update(round & 1 ? current : passwordSequence);
    current = step.digest();
  }
  return current;
}

/** `source` repeated and cut to exactly `length` bytes. */
function repeatTo(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += source.length) source.copy(out, offset, 0, Math.min(source.length, length - offset));
  return out;
}

/** The byte triples are taken in a rotating order fixed by the specification. */
function encodeSha256(d: Buffer): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    const [a, b, c] = [d[i]!, d[i + 10]!, d[i + 20]!];
    out += i % 3 === 0 ? cryptBase64Group(a, b, c, 4) : i % 3 === 1 ? cryptBase64Group(c, a, b, 4) : cryptBase64Group(b, c, a, 4);
  }
  return out + cryptBase64Group(0, d[31]!, d[30]!, 3);
}

function encodeSha512(d: Buffer): string {
  let out = "";
  for (let i = 0; i < 21; i++) {
    const [a, b, c] = [d[i]!, d[i + 21]!, d[i + 42]!];
    out += i % 3 === 0 ? cryptBase64Group(a, b, c, 4) : i % 3 === 1 ? cryptBase64Group(b, c, a, 4) : cryptBase64Group(c, a, b, 4);
  }
  return out + cryptBase64Group(0, 0, d[63]!, 2);
}
