// JSON Schema (draft 2020-12) of the cache policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "ttlSeconds": { "type": "integer", "minimum": 1, "maximum": 31536000 },
    "keepStaleSeconds": { "type": "integer", "minimum": 0, "maximum": 31536000 },
    "methods": { "type": "array", "minItems": 1, "uniqueItems": true, "items": { "enum": ["GET", "HEAD"] } },
    "statuses": {
      "type": "array", "minItems": 1, "uniqueItems": true,
      "items": { "type": "integer", "minimum": 200, "maximum": 599 }
    },
    "key": { "type": "array", "maxItems": 8, "items": { "type": "string", "minLength": 1 } },
    "private": { "type": "boolean" },
    "authorized": { "type": "boolean" },
    "maxEntryBytes": { "type": "integer", "minimum": 1024, "maximum": 1000000 },
    "scope": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" },
    "name": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,32}$" }
  },
  "additionalProperties": false
}`;
