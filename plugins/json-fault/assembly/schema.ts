// JSON Schema (draft 2020-12) of the json-fault policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "fields": {
      "type": "object",
      "properties": {
        "code": { "$ref": "#/$defs/key" },
        "message": { "$ref": "#/$defs/key" },
        "status": { "$ref": "#/$defs/key" },
        "requestId": { "$ref": "#/$defs/key" }
      },
      "additionalProperties": false,
      "minProperties": 1
    },
    "envelope": { "$ref": "#/$defs/key" },
    "debug": { "type": "boolean" },
    "contentType": { "enum": ["application/json", "application/problem+json"] }
  },
  "additionalProperties": false,
  "$defs": { "key": { "type": "string", "minLength": 1, "maxLength": 64 } }
}`;
