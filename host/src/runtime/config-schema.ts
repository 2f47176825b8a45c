import { z } from "zod";
import { capabilityGrantsSchema, type CapabilityGrants } from "../capabilities/index.js";

/**
 * Configuration of the policy runtime: the `plugins:` table, the `policies:` lists that attach
 * plugins to listeners, routes, operations and backends, and the shared `stores:`.
 * Composed into the gateway schema by host/src/config/schema.ts.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits");

export const pluginLimitsSchema = z.strictObject({
  timeoutMs: z.number().int().positive().default(100).describe("Time budget of one call; the worker is replaced past it."),
  memoryMb: z.number().int().positive().max(4096).default(64).describe("Cap on the guest's linear memory."),
  failure: z.enum(["closed", "open"]).default("closed").describe("closed: the request fails (5xx); open: the policy is skipped."),
});

export const pluginSchema = z
  .strictObject({
    path: z.string().min(1).optional().describe("A .wasm component, relative to the config file."),
    package: z.string().min(1).optional().describe("An installed npm package whose package.json names its component."),
    sha256: sha256.optional().describe("Refuse the file unless its SHA-256 is this."),
    capabilities: capabilityGrantsSchema.prefault({}),
    limits: pluginLimitsSchema.prefault({}),
  })
  .describe("Exactly one of path or package.");

export const policyEntrySchema = z.strictObject({
  plugin: z.string().min(1).describe("A key of the top-level plugins table."),
  name: z.string().min(1).optional().describe("Name in logs and faults; defaults to the plugin's name."),
  with: z.unknown().optional().describe("Configuration, validated against the plugin's schema."),
  when: z.string().min(1).optional().describe("CEL condition; the policy runs only when it is true."),
  sseEvents: z
    .boolean()
    .optional()
    .describe(
      "Response policies: a text/event-stream answer is handed over event by event (docs/policies.md) when every body-reading policy of the chain says so.",
    ),
});

/** Request and fault entries: `sseEvents` is about response bodies, so it is refused there rather than ignored. */
const requestOrFaultEntrySchema = policyEntrySchema.omit({ sseEvents: true });

export const policyListsSchema = z
  .strictObject({
    request: z.array(requestOrFaultEntrySchema).default([]),
    response: z.array(policyEntrySchema).default([]),
    fault: z.array(requestOrFaultEntrySchema).default([]),
  })
  .describe("Policies of each flow, run in the order written.");

export const storesSchema = z
  .strictObject({
    backend: z.enum(["memory", "redis"]).default("memory"),
    redis: z
      .strictObject({
        url: z.string().min(1).default("redis://127.0.0.1:6379"),
        prefix: z.string().default("portcullis:"),
        timeoutMs: z.number().int().positive().default(200),
      })
      .optional(),
    kvMaxEntries: z.number().int().positive().default(100_000).describe("memory backend: most kv entries kept; least recently used go first."),
    kvMaxBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024)
      .describe("memory backend: most bytes of kv keys and values kept (default 64 MiB)."),
    counterSlots: z
      .number()
      .int()
      .min(32)
      .max(16_777_216)
      .default(65_536)
      .describe(
        "memory backend: slots of the counter table in shared memory (40 bytes each); when the probed slots are all live, the one expiring first is given up.",
      ),
  })
  .describe("Where shared counters and key-value entries live: memory (one gateway) or Redis (several).");

export const runtimeSchema = z
  .strictObject({
    workers: z.number().int().min(1).max(64).optional().describe("Worker threads running policies (default: cores)."),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024)
      .describe("Largest body buffered for a policy that needs it; 413 beyond."),
    cacheDir: z.string().default(".portcullis-cache").describe("Inspected plugins, keyed by content hash."),
    queueTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(5_000)
      .describe("Longest wait for a free worker; past it the request gets 503 PCS_ERR_POLICY_POOL_BUSY."),
    tasksPerWorker: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(8)
      .describe("Flows queued at each worker (run one at a time): more saves thread wake-ups under load; 1 never queues a flow behind another."),
    channel: z
      .enum(["direct", "piscina"])
      .optional()
      .describe(
        "How flows reach the workers: direct (the default: the gateway's own threads, flows of one event-loop turn sent together through shared memory, one deadline timer) or piscina (a pool task per flow: about 60 us more CPU per flow).",
      ),
    loadTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(5_000)
      .describe("Deadline of each plugin's module start and describe() at load, and of each instance's init at warm-up; past it the start is refused."),
    quarantine: z
      .strictObject({
        failures: z
          .number()
          .int()
          .positive()
          .default(5)
          .describe("Failures in a row (with no success between) that quarantine a plugin for the client that provoked them."),
        baseMs: z.number().int().positive().default(1_000).describe("First quarantine; each failed probe after one doubles it."),
        maxMs: z.number().int().positive().default(60_000).describe("Longest quarantine."),
        clients: z
          .number()
          .int()
          .positive()
          .default(3)
          .describe("Distinct clients among failures in a row that quarantine the plugin for everyone (it is broken, not provoked)."),
        trackedClients: z
          .number()
          .int()
          .positive()
          .default(10_000)
          .describe("Clients whose failure streaks are remembered; the least recently failing are forgotten first."),
      })
      .prefault({}),
  })
  .describe("The policy worker pool.");

export type { CapabilityGrants };
export type PluginConfig = z.output<typeof pluginSchema>;
export type PluginLimits = z.output<typeof pluginLimitsSchema>;
export type PolicyEntryConfig = z.output<typeof policyEntrySchema>;
export type PolicyListsConfig = z.output<typeof policyListsSchema>;
export type StoresConfig = z.output<typeof storesSchema>;
export type RuntimeConfig = z.output<typeof runtimeSchema>;
