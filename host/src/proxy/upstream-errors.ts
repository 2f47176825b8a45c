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
