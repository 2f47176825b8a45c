import type { HttpErrorCode } from "../errors.js";

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_UNTRUSTED",
  "CERT_NOT_YET_VALID",
]);

/** Maps an error from undici (or a socket) to the catalogue. `timedOut`: our total timeout caused the abort. */
export function classifyUpstreamError(error: Error, timedOut: boolean): HttpErrorCode {
  if (timedOut) return "PCS_ERR_UPSTREAM_TIMEOUT";
  const code = codeOf(error) ?? codeOf(error.cause);
  if (code === undefined) return "PCS_ERR_INTERNAL";
  if (TIMEOUT_CODES.has(code)) return "PCS_ERR_UPSTREAM_TIMEOUT";
  if (UNREACHABLE_CODES.has(code)) return "PCS_ERR_UPSTREAM_UNREACHABLE";
  return "PCS_ERR_UPSTREAM_RESET";
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** How a failed upstream try failed, for retries (retries.on) and outlier detection. */
export type TryFailure = "connect-failure" | "reset" | "timeout";

/** `timedOut`: a per-try timeout aborted the try. */
export function tryFailureOf(error: Error, timedOut: boolean): TryFailure {
  if (timedOut) return "timeout";
  const code = codeOf(error) ?? codeOf(error.cause);
  if (code === "UND_ERR_CONNECT_TIMEOUT" || (code !== undefined && UNREACHABLE_CODES.has(code))) return "connect-failure";
  return code !== undefined && TIMEOUT_CODES.has(code) ? "timeout" : "reset";
}
