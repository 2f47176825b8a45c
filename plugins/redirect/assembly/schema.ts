// JSON Schema (draft 2020-12) of the redirect policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "status": { "enum": [301, 302, 307, 308] },
    "location": {
      "oneOf": [
        { "type": "string", "minLength": 1, "pattern": "^[\\\\u0021-\\\\u007e\\\\u0080-\\\\u00ff]+$" },
        {
          "type": "object",
          "properties": { "expression": { "type": "string", "minLength": 1 } },
          "required": ["expression"],
          "additionalProperties": false
        }
      ]
    },
    "query": { "enum": ["keep", "drop"] }
  },
  "required": ["location"],
  "additionalProperties": false
}`;
