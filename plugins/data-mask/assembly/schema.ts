// JSON Schema (draft 2020-12) of the data-mask policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "mask": { "$ref": "#/$defs/mask" },
    "keepFirst": { "$ref": "#/$defs/keep" },
    "keepLast": { "$ref": "#/$defs/keep" },
    "invalidBody": { "enum": ["reject", "pass"] },
    "rules": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "properties": {
          "path": { "type": "string", "pattern": "^\\\\$", "minLength": 2 },
          "field": { "type": "string", "minLength": 1 },
          "pattern": {
            "oneOf": [
              { "enum": ["digits", "email"] },
              {
                "type": "object",
                "properties": {
                  "regex": { "type": "string", "minLength": 1, "maxLength": 4096 },
                  "group": { "type": "integer", "minimum": 0, "maximum": 99 }
                },
                "required": ["regex"],
                "additionalProperties": false
              }
            ]
          },
          "minDigits": { "type": "integer", "minimum": 1, "maximum": 64 },
          "maxDigits": { "type": "integer", "minimum": 1, "maximum": 64 },
          "luhn": { "type": "boolean" },
          "mask": { "$ref": "#/$defs/mask" },
          "keepFirst": { "$ref": "#/$defs/keep" },
          "keepLast": { "$ref": "#/$defs/keep" }
        },
        "oneOf": [{ "required": ["path"] }, { "required": ["field"] }, { "required": ["pattern"] }],
        "dependentSchemas": {
          "minDigits": { "properties": { "pattern": { "const": "digits" } }, "required": ["pattern"] },
          "maxDigits": { "properties": { "pattern": { "const": "digits" } }, "required": ["pattern"] },
          "luhn": { "properties": { "pattern": { "const": "digits" } }, "required": ["pattern"] }
        },
        "additionalProperties": false
      }
    }
  },
  "required": ["rules"],
  "additionalProperties": false,
  "$defs": {
    "mask": { "type": "string", "minLength": 1, "maxLength": 1 },
    "keep": { "type": "integer", "minimum": 0, "maximum": 64 }
  }
}`;
