// JSON Schema (draft 2020-12) of the token-budget policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "key": { "type": "string", "minLength": 1 },
    "perMinute": { "type": "integer", "minimum": 1, "maximum": 1000000000000 },
    "perDay": { "type": "integer", "minimum": 1, "maximum": 1000000000000 },
    "scope": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" },
    "onStoreError": { "enum": ["open", "closed"] }
  },
  "additionalProperties": false,
  "anyOf": [{ "required": ["perMinute"] }, { "required": ["perDay"] }]
}`;
