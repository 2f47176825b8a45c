// JSON Schema (draft 2020-12) of the validate policy's `with:` block. An inline `schema` is checked
// against the draft 2020-12 meta-schema when the configuration loads, so a malformed one names its line.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "maxHeaderBytes": { "type": "integer", "minimum": 1, "maximum": 1048576 },
    "maxBodyBytes": { "type": "integer", "minimum": 0, "maximum": 1073741824 },
    "maxQueryLength": { "type": "integer", "minimum": 0, "maximum": 1048576 },
    "schema": { "$ref": "https://json-schema.org/draft/2020-12/schema", "type": ["object", "boolean"] },
    "schemaFile": { "type": "string", "minLength": 1 },
    "methods": {
      "type": "array",
      "minItems": 1,
      "uniqueItems": true,
      "items": { "type": "string", "pattern": "^[A-Z]{1,16}$" }
    },
    "nonJson": { "enum": ["reject", "pass"] },
    "maxViolations": { "type": "integer", "minimum": 1, "maximum": 50 },
    "maxErrorBytes": { "type": "integer", "minimum": 256, "maximum": 65536 }
  },
  "additionalProperties": false,
  "not": { "required": ["schema", "schemaFile"] }
}`;
