import { getRandomValues } from "node:crypto";
import type { Capabilities } from "./contract.js";

export const MAX_RANDOM_BYTES = 65_536;

export function createClock(): Capabilities["clock"] {
  return {
    nowMs: () => BigInt(Date.now()),
    monotonicNs: () => process.hrtime.bigint(),
  };
}

/** `random.bytes`: a request for more than MAX_RANDOM_BYTES gets MAX_RANDOM_BYTES. */
export function createRandom(): Capabilities["random"] {
  return { bytes: (len) => getRandomValues(new Uint8Array(Math.min(Math.max(0, len), MAX_RANDOM_BYTES))) };
}
