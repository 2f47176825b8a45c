// JSON Schema (draft 2020-12) of the trace policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "sampled": { "type": "boolean", "default": true },
    "tracestateKey": {
      "type": "string",
      "pattern": "^([a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})$"
    },
    "response": {
      "type": "object",
      "properties": {
        "traceparent": { "type": "boolean", "default": false },
        "traceIdHeader": { "type": "string", "pattern": "^[!#$%&'*+.^_\`|~0-9A-Za-z-]+$" }
      },
      "additionalProperties": false
    }
  },
  "additionalProperties": false
}`;
