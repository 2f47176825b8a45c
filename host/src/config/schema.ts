import { z } from "zod";
import { pluginSchema, policyListsSchema, runtimeSchema, storesSchema } from "../runtime/config-schema.js";
import { backendTlsSchema, healthCheckSchema, loadBalancingSchema, loadSheddingSchema, outlierSchema, retrySchema } from "./resilience-schema.js";
import { observabilitySchema } from "../observability/observability-schema.js";

/**
 * The configuration schema, composed from small named schemas so later issues can add keys
 * (policies on listeners, routes, operations and backends) by extending one object each.
 * Every object is strict: an unknown key is an error with a "did you mean" suggestion.
 * Keep it free of transforms: config/schema.json is generated from it (`portcullis schema`).
 */

/**
 * The methods Node's HTTP parser accepts (http.METHODS), so extension methods (PROPFIND, PURGE,
 * M-SEARCH) can be listed and keyed too; any other method never reaches a route. Written out so
 * the schema does not change with the Node version.
 */
export const HTTP_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "TRACE",
  "CONNECT",
  "ACL",
  "BIND",
  "CHECKOUT",
  "COPY",
  "LINK",
  "LOCK",
  "M-SEARCH",
  "MERGE",
  "MKACTIVITY",
  "MKCALENDAR",
  "MKCOL",
  "MOVE",
  "NOTIFY",
  "PROPFIND",
  "PROPPATCH",
  "PURGE",
  "QUERY",
  "REBIND",
  "REPORT",
  "SEARCH",
  "SOURCE",
  "SUBSCRIBE",
  "UNBIND",
  "UNLINK",
  "UNLOCK",
  "UNSUBSCRIBE",
] as const;
export const httpMethodSchema = z.enum(HTTP_METHODS);

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' or '-', starting with a letter or digit");

export const pathMatchSchema = z
  .strictObject({
    exact: z.string().startsWith("/").optional(),
    prefix: z.string().startsWith("/").optional(),
    regex: z.string().optional().describe("Matched against the whole path; named groups become path parameters."),
  })
  .describe("Exactly one of exact, prefix (whole segments) or regex.");

export const valueMatchSchema = z
  .strictObject({
    name: z.string().min(1),
    exact: z.string().optional(),
    regex: z.string().optional(),
    present: z.boolean().optional(),
  })
  .describe("Matches a header or query parameter: exact value, regex, or presence (default: present).");

export const routeMatchSchema = z.strictObject({
  path: pathMatchSchema.default({ prefix: "/" }),
  methods: z.array(httpMethodSchema).min(1).optional(),
  hosts: z.array(z.string().min(1)).min(1).optional().describe("Host names; '*.example.com' matches one or more labels."),
  headers: z.array(valueMatchSchema).optional(),
  query: z.array(valueMatchSchema).optional(),
});

export const timeoutsSchema = z.strictObject({
  connectMs: positiveMs.default(5_000),
  headersMs: positiveMs.default(30_000).describe("Until the upstream response headers arrive."),
  bodyMs: positiveMs.default(30_000).describe("Longest pause between two chunks of the upstream response body."),
  totalMs: positiveMs.optional().describe("Whole exchange with the upstream, from connect to the last byte."),
});

export const poolSchema = z.strictObject({
  connections: z.number().int().positive().default(128).describe("Keep-alive connections per upstream target."),
  keepAliveMs: positiveMs.default(4_000),
});

export const targetSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  weight: z.number().int().min(1).max(1000).default(1).describe("Relative share of the requests."),
  priority: z.number().int().min(0).default(0).describe("0 is served first; higher priorities only when no target of a lower one is available."),
});

export const directResponseSchema = z.strictObject({
  status: z.number().int().min(200).max(599),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
});

const backendBaseSchema = z
  .strictObject({
    name: name.optional(),
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("One upstream; its path is prepended to the request path."),
    targets: z.array(targetSchema).min(1).optional().describe("Several upstreams, picked by loadBalancing."),
    echo: z.boolean().optional().describe("Built-in backend answering with the request it received, as JSON."),
    directResponse: directResponseSchema.optional(),
    timeouts: timeoutsSchema.prefault({}),
    pool: poolSchema.prefault({}),
    preserveHost: z.boolean().default(false).describe("Send the client's Host header upstream."),
    hostRewrite: z.string().min(1).optional().describe("Send this Host header upstream."),
    pathPrefixRewrite: z.string().startsWith("/").optional().describe("Replaces the part of the path matched by the route's prefix (or exact) path."),
    faultOn5xx: z.boolean().default(false).describe("Treat a 5xx answer from the upstream as a fault (PCS_ERR_UPSTREAM_ERROR), so fault policies shape it."),
    policies: policyListsSchema.optional().describe("Policies attached at this level (docs/policies.md)."),
    retries: retrySchema.prefault({}),
    healthCheck: healthCheckSchema.optional(),
    outlierDetection: outlierSchema.prefault({}),
    loadBalancing: loadBalancingSchema.prefault({}),
    tls: backendTlsSchema.optional(),
  })
  .describe("Exactly one of url, targets, echo or directResponse.")
  .meta({ id: "plainBackend" }); // one $defs entry in config/schema.json, not a copy per use

export const backendSchema = backendBaseSchema
  .extend({
    split: z
      .array(z.strictObject({ weight: z.number().int().min(1), backend: backendBaseSchema }))
      .min(1)
      .optional()
      .describe("Weighted traffic split: each request goes to one of these backends."),
    mirror: z
      .strictObject({ backend: backendBaseSchema, share: z.number().min(0).max(1).default(1) })
      .optional()
      .describe("Copies this share of the requests (without a streamed body) to a shadow backend; its answers are discarded."),
    fallback: z
      .strictObject({ directResponse: directResponseSchema.optional(), backend: backendBaseSchema.optional() })
      .optional()
      .describe("Answers when no target is healthy: a direct response or another backend (default: 503 PCS_ERR_NO_HEALTHY_UPSTREAM)."),
  })
  .describe("Exactly one of url, targets, echo, directResponse or split.")
  .meta({ id: "backend" });

export const operationSchema = z.strictObject({
  backend: backendSchema.optional().describe("Overrides the route's backend for this method."),
  policies: policyListsSchema.optional().describe("Policies attached at this level (docs/policies.md)."),
});

export const limitsSchema = z.strictObject({
  maxHeaderBytes: z.number().int().positive().default(16_384),
  maxBodyBytes: z
    .number()
    .int()
    .nonnegative()
    .default(10 * 1024 * 1024),
  headersTimeoutMs: positiveMs.default(10_000).describe("Time a client has to send the request headers."),
  requestTimeoutMs: positiveMs.default(60_000).describe("Time a client has to send the whole request, body included."),
  keepAliveTimeoutMs: positiveMs.default(5_000),
});

export const routeSchema = z.strictObject({
  name,
  match: routeMatchSchema.prefault({}),
  operations: z.partialRecord(httpMethodSchema, operationSchema).optional(),
  maxBodyBytes: z.number().int().nonnegative().optional().describe("Overrides the listener's limits.maxBodyBytes."),
  maxInFlight: z.number().int().positive().optional().describe("Requests in flight on this route; more are answered 503 (PCS_ERR_OVERLOADED)."),
  mcp: z
    .boolean()
    .optional()
    .describe(
      "An MCP (Streamable HTTP) route: each POST body is parsed as JSON-RPC once and exposed as `mcp` to CEL and as metadata `mcp` to policies (docs/configuration.md).",
    ),
  policies: policyListsSchema.optional().describe("Policies attached at this level (docs/policies.md)."),
  backend: backendSchema,
});

export const clientCertificatesSchema = z
  .strictObject({
    ca: z.string().min(1).describe("PEM bundle of the CAs that issue client certificates, relative to the config file."),
    crl: z.string().min(1).optional().describe("PEM revocation lists of those CAs (one per CA of the chain); revoked certificates are refused."),
    required: z.boolean().default(true).describe("Refuse clients without a certificate; false lets them in without `clientCert` metadata."),
    refuse: z
      .enum(["handshake", "status"])
      .default("handshake")
      .describe("handshake: close the connection; status: answer 401 PCS_ERR_CLIENT_CERT_REQUIRED or 403 PCS_ERR_CLIENT_CERT_INVALID."),
  })
  .describe("mTLS: verify client certificates; the verified one becomes request metadata `clientCert` (docs/configuration.md).");

export const tlsSchema = z.strictObject({
  cert: z.string().min(1).describe("Path to a PEM certificate chain, relative to the config file."),
  key: z.string().min(1).describe("Path to a PEM private key, relative to the config file."),
  clientCertificates: clientCertificatesSchema.optional(),
});
export type TlsConfig = z.output<typeof tlsSchema>;
export type ClientCertificatesConfig = z.output<typeof clientCertificatesSchema>;

export const pathsSchema = z
  .strictObject({
    mergeSlashes: z.boolean().default(true).describe("Merge runs of slashes (//admin is /admin)."),
    encodedSlashes: z
      .enum(["reject", "keep", "decode"])
      .default("reject")
      .describe("%2F and %5C: reject (400), keep as escapes (not separators), or decode to '/'."),
    backslashes: z.enum(["reject", "slash"]).default("reject").describe("A raw backslash: reject (400) or read as '/'."),
  })
  .describe("How request paths are canonicalised before policies, routing and the upstream (docs/configuration.md).");

export const listenerSchema = z.strictObject({
  name,
  host: z.string().default("0.0.0.0"),
  port,
  tls: tlsSchema.optional(),
  trustedProxies: z.array(z.string()).default([]).describe("Addresses or CIDRs whose X-Forwarded-* and x-request-id headers are kept and appended to."),
  limits: limitsSchema.prefault({}),
  paths: pathsSchema.prefault({}),
  policies: policyListsSchema.optional().describe("Listener policies; request policies run before route selection."),
  routes: z.array(routeSchema).default([]),
});

export const adminSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default("127.0.0.1"),
  port: port.default(9901),
});

export const accessLogSchema = z.strictObject({
  metadata: z
    .array(z.string().regex(/^[^.]+(\.[^.]+)*$/, "a metadata key, optionally followed by .member paths (trace.traceId)"))
    .default([])
    .describe(
      "Per-request metadata copied into each access-log line under `metadata`: a key (consumer) or a key and a member path into its JSON value (trace.traceId).",
    ),
});

export const loggingSchema = z.strictObject({
  level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  format: z.enum(["auto", "json", "pretty"]).default("auto").describe("auto: pretty on a terminal, JSON otherwise."),
  accessLog: accessLogSchema.prefault({}),
});

export const shutdownSchema = z.strictObject({
  drainTimeoutMs: z.number().int().nonnegative().default(10_000),
});

export const reloadSchema = z
  .strictObject({
    watch: z.boolean().default(true).describe("Reload when the configuration file changes (SIGHUP and POST /reload always work)."),
    debounceMs: z.number().int().min(10).max(10_000).default(150).describe("Quiet time after the last change before reloading (editors write several times)."),
    standbyWorkers: z
      .boolean()
      .default(true)
      .describe("Keep a spare policy worker pool booted (one more set of runtime.workers threads) so that a reload changing policies skips thread start-up."),
  })
  .describe("Hot reload of the configuration file (docs/operations.md).");

export const gatewayConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  listeners: z.array(listenerSchema).min(1),
  admin: adminSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  shutdown: shutdownSchema.prefault({}),
  reload: reloadSchema.prefault({}),
  plugins: z
    .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/), pluginSchema)
    .default({})
    .describe("Policy components, by the name policies use."),
  runtime: runtimeSchema.prefault({}),
  stores: storesSchema.prefault({}),
  loadShedding: loadSheddingSchema.prefault({}),
  observability: observabilitySchema.prefault({}).describe("Metrics, traces and the live debug view (docs/operations.md)."),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type ListenerConfig = z.output<typeof listenerSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type RouteMatchConfig = z.output<typeof routeMatchSchema>;
export type ValueMatchConfig = z.output<typeof valueMatchSchema>;
export type BackendConfig = z.output<typeof backendSchema>;
export type BackendBaseConfig = z.output<typeof backendBaseSchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type PathsConfig = z.output<typeof pathsSchema>;
export type HttpMethod = (typeof HTTP_METHODS)[number];
