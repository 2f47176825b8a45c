// JSON Schema (draft 2020-12) of the direct-response policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "status": { "type": "integer", "minimum": 200, "maximum": 599 },
    "headers": {
      "type": "object",
      "propertyNames": { "type": "string", "pattern": "^[!#$%&'*+.^_\`|~0-9A-Za-z-]+$" },
      "additionalProperties": {
        "oneOf": [
          { "type": "string", "pattern": "^[\\\\t\\\\u0020-\\\\u007e\\\\u0080-\\\\u00ff]*$" },
          { "$ref": "#/$defs/expression" }
        ]
      }
    },
    "body": { "oneOf": [{ "type": "string" }, { "$ref": "#/$defs/expression" }] },
    "json": {}
  },
  "additionalProperties": false,
  "not": { "required": ["body", "json"] },
  "$defs": {
    "expression": {
      "type": "object",
      "properties": { "expression": { "type": "string", "minLength": 1 } },
      "required": ["expression"],
      "additionalProperties": false
    }
  }
}`;
