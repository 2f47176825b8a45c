// The configuration schema (JSON Schema 2020-12); README.md documents each field.
export const SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "$defs": {
    "headerNames": { "type": "array", "items": { "type": "string", "pattern": "^[A-Za-z0-9!#$%&'*+.^_|~-]+$" } }
  },
  "properties": {
    "url": { "type": "string", "pattern": "^https?://" },
    "timeoutMs": { "type": "integer", "minimum": 10, "maximum": 30000, "default": 500 },
    "headers": { "$ref": "#/$defs/headerNames" },
    "body": {
      "type": "object",
      "properties": {
        "maxBytes": { "type": "integer", "minimum": 1, "maximum": 1048576 },
        "allowPartial": { "type": "boolean", "default": false }
      },
      "required": ["maxBytes"],
      "additionalProperties": false
    },
    "upstreamHeaders": { "$ref": "#/$defs/headerNames" },
    "clientHeaders": { "$ref": "#/$defs/headerNames" },
    "cache": {
      "type": "object",
      "properties": {
        "key": { "type": "string", "minLength": 1 },
        "ttlSeconds": { "type": "integer", "minimum": 1, "maximum": 86400, "default": 30 }
      },
      "required": ["key"],
      "additionalProperties": false
    },
    "failureMode": { "enum": ["closed", "open"], "default": "closed" },
    "statusOnError": { "type": "integer", "minimum": 400, "maximum": 599, "default": 403 }
  },
  "required": ["url"],
  "additionalProperties": false
}`;
