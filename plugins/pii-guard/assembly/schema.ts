// JSON Schema (draft 2020-12) of the pii-guard policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "detectors": {
      "type": "object",
      "properties": {
        "ssn": { "$ref": "#/$defs/action" },
        "card": { "$ref": "#/$defs/action" },
        "email": { "$ref": "#/$defs/action" },
        "phone": { "$ref": "#/$defs/action" },
        "iban": { "$ref": "#/$defs/action" }
      },
      "additionalProperties": false
    },
    "patterns": {
      "type": "array",
      "maxItems": 32,
      "items": {
        "type": "object",
        "properties": {
          "name": { "type": "string", "pattern": "^[a-z][a-z0-9-]{0,39}$" },
          "pattern": { "type": "string", "minLength": 1, "maxLength": 256 },
          "regex": { "type": "string", "minLength": 1, "maxLength": 4096 },
          "action": { "$ref": "#/$defs/action" },
          "code": { "type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,63}$" }
        },
        "required": ["name", "action"],
        "oneOf": [{ "required": ["pattern"] }, { "required": ["regex"] }],
        "additionalProperties": false
      }
    },
    "scan": {
      "type": "object",
      "properties": {
        "body": { "type": "boolean", "default": true },
        "query": { "type": "boolean", "default": false },
        "response": { "type": "boolean", "default": false },
        "headers": { "type": "array", "items": { "type": "string", "pattern": "^[!#$%&'*+.^_\`|~0-9A-Za-z-]+$" }, "uniqueItems": true }
      },
      "additionalProperties": false
    },
    "unscannable": { "enum": ["block", "allow"], "default": "block" },
    "maskChar": { "type": "string", "pattern": "^[!#$%*+./:=?^_|~-]$", "default": "*" }
  },
  "additionalProperties": false,
  "anyOf": [{ "required": ["detectors"] }, { "required": ["patterns"] }],
  "$defs": { "action": { "enum": ["block", "mask", "log"] } }
}`;
