import { z } from "zod";

/** An empty list grants the capability's import while allowing nothing (a plugin that uses it only optionally). */
const allowList = z.strictObject({
  allow: z.array(z.string().min(1)),
});

/**
 * What an operator grants a plugin (`capabilities:` in the config), keyed by WIT interface name;
 * every capability is denied unless listed here. The one definition: the config schema embeds it and
 * createCapabilities reads its output.
 */
export const capabilityGrantsSchema = z
  .strictObject({
    log: z.boolean().optional(),
    clock: z.boolean().optional(),
    random: z.boolean().optional(),
    crypto: z.boolean().optional(),
    counters: z.boolean().optional(),
    kv: z.boolean().optional(),
    metrics: z.boolean().optional(),
    expression: z.boolean().optional(),
    "json-schema": z.boolean().optional(),
    regex: z.boolean().optional(),
    http: allowList.describe("Hosts the plugin may call: 'host', 'host:port' or '*.suffix'.").optional(),
    files: allowList.describe("Files the plugin may read, relative to the config file.").optional(),
    geo: z.strictObject({ database: z.string().min(1).optional().describe("MaxMind-format .mmdb file; without one, lookups answer unavailable.") }).optional(),
  })
  .describe("Capabilities granted to the plugin (deny by default).");

export type CapabilityGrants = z.output<typeof capabilityGrantsSchema>;
