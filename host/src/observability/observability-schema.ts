import { z } from "zod";

/** `observability:` in the gateway configuration (docs/operations.md: Metrics, Traces, Live debug). */

export const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("Serve the gateway's own metrics, with the policies', on the admin listener's /metrics."),
});

export const tracesSchema = z.strictObject({
  enabled: z.boolean().default(false).describe("Record OpenTelemetry spans and export them over OTLP/HTTP (JSON)."),
  endpoint: z
    .url({ protocol: /^https?$/ })
    .default("http://127.0.0.1:4318/v1/traces")
    .describe("The collector's OTLP/HTTP traces URL."),
  headers: z.record(z.string(), z.string()).default({}).describe("Headers sent with each export (e.g. a collector's API key)."),
  sampling: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe("Share of new traces recorded (0.01 is 1%); a request carrying a traceparent follows its sampled flag."),
  serviceName: z.string().min(1).default("portcullis").describe("The service.name resource attribute."),
  batchDelayMs: z.number().int().positive().default(2_000).describe("Longest wait before finished spans are exported."),
  exportTimeoutMs: z.number().int().positive().default(10_000).describe("Deadline of one export request."),
});

export const debugViewSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("Serve the live debug view, /debug/requests, on the admin listener."),
  maxClients: z.number().int().positive().default(4).describe("Debug view streams open at once; more are refused with 503."),
});

export const observabilitySchema = z.strictObject({
  metrics: metricsSchema.prefault({}),
  traces: tracesSchema.prefault({}),
  debug: debugViewSchema.prefault({}),
});

export type ObservabilityConfig = z.output<typeof observabilitySchema>;
export type TracesConfig = z.output<typeof tracesSchema>;
