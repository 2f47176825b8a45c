// JSON Schema (draft 2020-12) of the rate-limit policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "key": { "type": "string", "minLength": 1 },
    "limits": { "$ref": "#/$defs/limits" },
    "tier": { "type": "string", "minLength": 1 },
    "defaultTier": { "$ref": "#/$defs/name" },
    "tiers": {
      "type": "object",
      "propertyNames": { "$ref": "#/$defs/name" },
      "additionalProperties": { "$ref": "#/$defs/limits" },
      "minProperties": 1
    },
    "scope": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" },
    "onStoreError": { "enum": ["open", "closed"] },
    "headers": { "enum": ["ietf", "x-ratelimit", "none"] }
  },
  "additionalProperties": false,
  "oneOf": [
    { "required": ["limits"], "not": { "anyOf": [{ "required": ["tiers"] }, { "required": ["tier"] }, { "required": ["defaultTier"] }] } },
    { "required": ["tiers", "tier", "defaultTier"], "not": { "required": ["limits"] } }
  ],
  "$defs": {
    "name": { "type": "string", "pattern": "^[a-z0-9_-]{1,32}$" },
    "limits": {
      "type": "array",
      "minItems": 1,
      "maxItems": 8,
      "items": {
        "type": "object",
        "properties": {
          "name": { "$ref": "#/$defs/name" },
          "requests": { "type": "integer", "minimum": 1, "maximum": 1000000000 },
          "window": { "type": "string", "pattern": "^[1-9][0-9]{0,5}(ms|s|m|h|d)$" },
          "algorithm": { "enum": ["fixed", "token-bucket"] },
          "burst": { "type": "integer", "minimum": 1, "maximum": 1000000000 }
        },
        "required": ["name", "requests", "window"],
        "additionalProperties": false,
        "if": { "not": { "required": ["algorithm"], "properties": { "algorithm": { "const": "token-bucket" } } } },
        "then": { "not": { "required": ["burst"] } }
      }
    }
  }
}`;
