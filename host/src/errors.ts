import type { FaultKind } from "@portcullis/sdk/component";

/**
 * The one catalogue of errors Portcullis can produce. Every code is documented in docs/errors.md;
 * test/host/errors-catalogue.test.ts fails when the two drift apart or a code is never raised.
 * `status` is the HTTP status a client sees; `null` marks errors reported to the operator (CLI, start-up).
 * `kind` is the fault kind the fault flow's policies see (wit/types.wit `fault-kind`); absent: gateway-rejected.
 */
export const ERRORS = {
  // Requests the gateway refuses on its own.
  PCS_ERR_BAD_REQUEST: { status: 400, meaning: "The request could not be parsed as HTTP/1.1." },
  PCS_ERR_BAD_PATH: {
    status: 400,
    meaning: "The request path has a fragment, an invalid or non-UTF-8 percent-escape, or an encoded slash or backslash the listener's paths settings refuse.",
  },
  PCS_ERR_ROUTE_NOT_FOUND: { status: 404, meaning: "No route of the listener matches the request." },
  PCS_ERR_CLIENT_CERT_REQUIRED: {
    status: 401,
    meaning: "The listener requires a client certificate (mTLS, refuse: status) and the client presented none.",
  },
  PCS_ERR_CLIENT_CERT_INVALID: {
    status: 403,
    meaning: "The client certificate does not verify against the listener's CA bundle, has expired, or is revoked by its CRL (mTLS, refuse: status).",
  },
  PCS_ERR_METHOD_NOT_ALLOWED: {
    status: 405,
    meaning: "A route matches the request except for its method; the Allow header lists the methods it accepts.",
  },
  PCS_ERR_REQUEST_TIMEOUT: {
    status: 408,
    meaning: "The client did not send the request headers or body within the listener's timeouts.",
  },
  PCS_ERR_BODY_TOO_LARGE: { status: 413, meaning: "The request body is larger than the configured maxBodyBytes." },
  PCS_ERR_MCP_INVALID_MESSAGE: {
    status: 400,
    meaning: "A POST to an MCP route (mcp: true) is not JSON (JSON-RPC -32700) or not a JSON-RPC 2.0 message or batch (-32600); the body is a JSON-RPC error.",
  },
  PCS_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    meaning: "The request headers are larger than the listener's maxHeaderBytes.",
  },
  PCS_ERR_UPGRADE_NOT_SUPPORTED: {
    status: 501,
    meaning: "A protocol upgrade (WebSocket) was requested on a route whose backend cannot take one (echo, directResponse).",
  },
  PCS_ERR_SHUTTING_DOWN: {
    status: 503,
    meaning: "The gateway is draining after SIGTERM and takes no new requests on this connection.",
  },
  PCS_ERR_OVERLOADED: {
    status: 503,
    meaning: "The gateway shed the request: too many requests in flight (gateway or route) or the event loop lags past loadShedding.eventLoopLagMs.",
  },
  PCS_ERR_INTERNAL: { status: 500, meaning: "An unexpected failure inside the gateway (a bug); the log has details." },
  // Upstream failures.
  PCS_ERR_UPSTREAM_UNREACHABLE: {
    status: 502,
    kind: "upstream-unreachable",
    meaning: "The backend refused the connection or could not be reached (DNS, network, TLS).",
  },
  PCS_ERR_UPSTREAM_RESET: {
    status: 502,
    kind: "upstream-unreachable",
    meaning: "The backend closed the connection or sent an invalid response before the response headers.",
  },
  PCS_ERR_NO_HEALTHY_UPSTREAM: {
    status: 503,
    kind: "upstream-unreachable",
    meaning: "Every target of the backend is ejected or failing its health checks, and the backend has no fallback.",
  },
  PCS_ERR_UPSTREAM_TIMEOUT: {
    status: 504,
    kind: "upstream-timeout",
    meaning: "The backend did not connect, answer or finish within the backend's timeouts.",
  },
  // Policy failures (raised by the policy runtime, host/src/runtime/; failure is closed by default).
  PCS_ERR_POLICY_FAILED: { status: 500, kind: "policy-failed", meaning: "A policy returned an error for this request." },
  PCS_ERR_POLICY_TRAPPED: { status: 500, kind: "policy-trapped", meaning: "A policy trapped (WebAssembly runtime error); its instance is discarded." },
  PCS_ERR_POLICY_MEMORY: { status: 500, kind: "policy-failed", meaning: "A policy's memory grew past its cap; its instance is discarded." },
  PCS_ERR_POLICY_INIT_FAILED: { status: 500, kind: "policy-failed", meaning: "A policy could not be instantiated or rejected its configuration." },
  PCS_ERR_POLICY_TIMEOUT: { status: 503, kind: "policy-timeout", meaning: "A policy ran past its time budget; its worker was replaced." },
  PCS_ERR_POLICY_REJECTED: {
    status: 403,
    kind: "policy-rejected",
    meaning: "A policy answered the request itself with a status of 400 or more (its own status; 403 is nominal); the fault flow sees this code.",
  },
  PCS_ERR_POLICY_UNAVAILABLE: { status: 503, kind: "policy-failed", meaning: "A policy reported that a service it depends on is unavailable." },
  PCS_ERR_POLICY_POOL_BUSY: {
    status: 503,
    meaning: "Every policy worker stayed busy past runtime.queueTimeoutMs, so the request's flow could not start.",
  },
  PCS_ERR_POLICY_INVALID_OUTPUT: {
    status: 500,
    kind: "policy-failed",
    meaning:
      "A policy returned output the gateway will not put on the wire (a bad status, header name or value, or a framing header); the log names the policy.",
  },
  PCS_ERR_POLICY_CONDITION: {
    status: 500,
    kind: "policy-failed",
    meaning: "A policy's when: condition failed to evaluate (e.g. it read an absent header); the request fails closed instead of skipping the policy.",
  },
  PCS_ERR_POLICY_QUARANTINED: {
    status: 503,
    kind: "policy-failed",
    meaning: "A policy failed repeatedly and is quarantined with backoff; requests through it fail fast.",
  },
  PCS_ERR_RESPONSE_TOO_LARGE: {
    status: 502,
    meaning: "The upstream response body is larger than a response policy that needs the body can buffer.",
  },
  PCS_ERR_UPSTREAM_ERROR: {
    status: 502,
    kind: "upstream-error",
    meaning: "The backend answered with a 5xx status and the route treats upstream 5xx as a fault.",
  },
  // Admin API errors (answered on the admin listener).
  PCS_ERR_DEBUG_FILTER: { status: 400, meaning: "The live debug view's filter is not a valid CEL condition." },
  PCS_ERR_DEBUG_BUSY: { status: 503, meaning: "The live debug view already has observability.debug.maxClients streams open." },
  // Operator-facing errors (no HTTP response).
  PCS_ERR_CONFIG_INVALID: {
    status: null,
    meaning: "The configuration file is not valid YAML, does not match the schema, or names a missing variable or file.",
  },
  PCS_ERR_CONFIG_UNREADABLE: { status: null, meaning: "The configuration file could not be read." },
  PCS_ERR_LISTEN_FAILED: {
    status: null,
    meaning: "A listener or the admin server could not bind its address (port in use, permission, bad TLS files).",
  },
  PCS_ERR_RELOAD_UNAVAILABLE: {
    status: null,
    meaning: "A reload (SIGHUP, POST /reload) was asked of a gateway started from a configuration object, not a file: there is nothing to reload from.",
  },
  PCS_ERR_PLUGIN_NOT_FOUND: { status: null, meaning: "A plugin's file or npm package named in the config cannot be found." },
  PCS_ERR_PLUGIN_INVALID: { status: null, meaning: "A plugin file is not a valid policy component, or describe() failed." },
  PCS_ERR_PLUGIN_CAPABILITY_DENIED: {
    status: null,
    meaning: "A plugin imports a capability the config does not grant it, so it does not load.",
  },
  PCS_ERR_PLUGIN_PIN_MISMATCH: { status: null, meaning: "A plugin file's sha256 differs from the pin in the config." },
  PCS_ERR_PLUGIN_LOAD_TIMEOUT: {
    status: null,
    meaning:
      "A plugin's module start, describe() or an instance's init did not finish within runtime.loadTimeoutMs at start or validate; the start is refused.",
  },
  PCS_ERR_PLUGIN_MEMORY: { status: null, meaning: "A plugin's module starts with more memory than its limits.memoryMb allows." },
  PCS_ERR_POLICY_BODY_NEED_MISMATCH: {
    status: null,
    meaning: "A policy's init answered other body needs in a worker than at warm-up for the same configuration (logged once; bodies follow warm-up).",
  },
  PCS_ERR_CAPABILITY_CONFIG: { status: null, meaning: "A capability grant or capability service option is malformed." },
  PCS_ERR_BRIDGE_TIMEOUT: {
    status: null,
    meaning: "A capability call bridged from a policy worker to the main thread got no answer in time.",
  },
  PCS_ERR_BRIDGE_HANDLER: { status: null, meaning: "The main-thread handler of a bridged capability call threw." },
  PCS_ERR_BRIDGE_UNAVAILABLE: { status: null, meaning: "A bridged capability call was made where no bridge exists." },
  // Policy author tooling (@portcullis/sdk).
  PCS_ERR_POLICY_BUILD: { status: null, meaning: "Building a policy (asc, component packaging) failed." },
  PCS_ERR_POLICY_INVALID: { status: null, meaning: "A file is not a valid policy component for the policy world." },
  PCS_ERR_CAPABILITY_NOT_GRANTED: {
    status: null,
    meaning: "The SDK test harness was asked to run a policy importing capabilities the test did not grant.",
  },
  PCS_ERR_CLI_USAGE: { status: null, meaning: "The command line is wrong: unknown command or missing argument." },
} as const satisfies Record<string, { status: number | null; kind?: FaultKind; meaning: string }>;

export type ErrorCode = keyof typeof ERRORS;
export type HttpErrorCode = { [K in ErrorCode]: (typeof ERRORS)[K]["status"] extends number ? K : never }[ErrorCode];

/** An error with a stable catalogue code, thrown by start-up, config loading and the CLI. */
export class PortcullisError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PortcullisError";
  }
}

export function statusOf(code: HttpErrorCode): number {
  return ERRORS[code].status;
}

/** The fault kind policies see for an error the gateway answers with (the catalogue's `kind`). */
export function faultKindOf(code: HttpErrorCode): FaultKind {
  const entry = ERRORS[code];
  return "kind" in entry ? entry.kind : "gateway-rejected";
}
