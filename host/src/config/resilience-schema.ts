import { z } from "zod";

/**
 * Backend resilience settings (docs/configuration.md, "Backends and resilience"): retries, health checks,
 * outlier ejection, load balancing, backend TLS, and gateway-wide load shedding. Defaults are the ones a
 * careful operator would pick: retry only what is safe to repeat, never let retries multiply an outage.
 */

const positiveMs = z.number().int().positive();
const share = z.number().min(0).max(1);

/** Methods RFC 9110 calls idempotent: repeating them has the same effect as sending them once. */
export const IDEMPOTENT_METHODS = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] as const;

export const retrySchema = z
  .strictObject({
    attempts: z.number().int().min(0).max(10).default(2).describe("Retries after the first try (0: never retry)."),
    methods: z
      .array(z.string().min(1))
      .default([...IDEMPOTENT_METHODS])
      .describe("Methods that may be retried; by default only the idempotent ones (a POST is never retried)."),
    on: z
      .array(z.enum(["connect-failure", "reset", "timeout"]))
      .default(["connect-failure", "reset"])
      .describe("Failures that are retried: connect-failure (refused, unreachable, TLS), reset (closed before the head), timeout (per try)."),
    statuses: z.array(z.number().int().min(400).max(599)).default([502, 503]).describe("Upstream statuses that are retried."),
    bufferBytes: z
      .number()
      .int()
      .nonnegative()
      .default(65_536)
      .describe("Request bodies up to this size (declared Content-Length) are read first so they can be retried or mirrored; 0: never."),
    perTryTimeoutMs: positiveMs.optional().describe("Each try must get the response head within this; the backend's totalMs still bounds them all."),
    backoff: z
      .strictObject({
        baseMs: positiveMs.default(25),
        maxMs: positiveMs.default(250),
      })
      .prefault({})
      .describe("Exponential backoff with full jitter: a try waits random(0, min(maxMs, baseMs x 2^n))."),
    budget: z
      .strictObject({
        ratio: share.default(0.2).describe("Retries in flight may be at most this share of the requests in flight to the backend."),
        minRetries: z.number().int().min(0).default(3).describe("Retries in flight always allowed, so light traffic still retries."),
      })
      .prefault({})
      .describe("At most a share of the active requests are retries: a failing backend never gets a multiple of its load."),
  })
  .describe("Retries of a failed upstream try; never once response bytes reached the client.");

export const healthCheckSchema = z
  .strictObject({
    path: z.string().startsWith("/").default("/health"),
    intervalMs: positiveMs.default(5_000),
    timeoutMs: positiveMs.default(1_000),
    healthyThreshold: z.number().int().positive().default(2).describe("Passing checks in a row that bring a target back."),
    unhealthyThreshold: z.number().int().positive().default(3).describe("Failing checks in a row that take a target out."),
  })
  .describe("Active health checks: GET path on every target; a 2xx or 3xx passes.");

export const outlierSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    consecutiveFailures: z.number().int().positive().default(5).describe("5xx answers, connect failures, resets or timeouts in a row."),
    baseEjectionMs: positiveMs.default(30_000).describe("First ejection; each further ejection of the same target lasts one base longer."),
    maxEjectionMs: positiveMs.default(300_000),
    maxEjectedShare: share.default(0.5).describe("Never eject more than this share of a backend's targets (rounded down)."),
  })
  .describe("Passive outlier ejection from the answers of real requests.");

export const loadBalancingSchema = z
  .strictObject({
    policy: z.enum(["round-robin", "least-request", "consistent-hash"]).default("round-robin"),
    hashKey: z.string().min(1).optional().describe("consistent-hash: a CEL expression over request (e.g. request.headers['x-user']), giving the affinity key."),
  })
  .describe("How a target is picked among the available targets of the best priority (weights apply to every policy).");

export const backendTlsSchema = z
  .strictObject({
    ca: z.string().min(1).optional().describe("PEM CA bundle trusted for the upstream, relative to the config file (default: system CAs)."),
    cert: z.string().min(1).optional().describe("PEM client certificate for mTLS to the upstream."),
    key: z.string().min(1).optional().describe("PEM private key of the client certificate."),
    servername: z.string().min(1).optional().describe("SNI name sent (default: the target's host name)."),
    verify: z.boolean().default(true).describe("Verify the upstream's certificate chain."),
    verifyHostname: z.boolean().default(true).describe("Check that the certificate names the host (or servername)."),
  })
  .describe("TLS to https:// targets.");

export const loadSheddingSchema = z
  .strictObject({
    maxInFlight: z.number().int().positive().default(10_000).describe("Requests in flight on all listeners; more are answered 503."),
    eventLoopLagMs: positiveMs.optional().describe("Shed new requests while the event loop lags more than this (off by default)."),
  })
  .describe("Gateway-wide load shedding: PCS_ERR_OVERLOADED (503, Retry-After) through the fault flow.");

export type RetryConfig = z.output<typeof retrySchema>;
export type HealthCheckConfig = z.output<typeof healthCheckSchema>;
export type OutlierConfig = z.output<typeof outlierSchema>;
export type BackendTlsConfig = z.output<typeof backendTlsSchema>;
export type LoadSheddingConfig = z.output<typeof loadSheddingSchema>;
