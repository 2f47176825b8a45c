// JSON Schema (draft 2020-12) of the headers policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "remove": { "type": "array", "items": { "$ref": "#/$defs/name" }, "uniqueItems": true },
    "set": { "$ref": "#/$defs/fields" },
    "append": { "$ref": "#/$defs/fields" }
  },
  "additionalProperties": false,
  "minProperties": 1,
  "$defs": {
    "name": { "type": "string", "pattern": "^[!#$%&'*+.^_\`|~0-9A-Za-z-]+$" },
    "fields": {
      "type": "object",
      "propertyNames": { "$ref": "#/$defs/name" },
      "additionalProperties": {
        "oneOf": [
          { "type": "string", "pattern": "^[\\\\t\\\\u0020-\\\\u007e\\\\u0080-\\\\u00ff]*$" },
          {
            "type": "object",
            "properties": { "expression": { "type": "string", "minLength": 1 } },
            "required": ["expression"],
            "additionalProperties": false
          }
        ]
      }
    }
  }
}`;
