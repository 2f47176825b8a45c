// JSON Schema (draft 2020-12) of the request-log policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "message": { "type": "string", "minLength": 1, "default": "request-log" },
    "level": { "enum": ["trace", "debug", "info", "warn", "error"], "default": "info" },
    "request": {
      "type": "array",
      "items": { "enum": ["method", "scheme", "authority", "path", "query", "clientAddress", "requestId", "listener", "route"] },
      "uniqueItems": true
    },
    "requestHeaders": { "$ref": "#/$defs/headerNames" },
    "responseHeaders": { "$ref": "#/$defs/headerNames" },
    "metadata": { "type": "array", "items": { "type": "string", "minLength": 1 }, "uniqueItems": true },
    "expressions": {
      "type": "object",
      "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_.-]*$" },
      "additionalProperties": { "type": "string", "minLength": 1 }
    },
    "redact": { "$ref": "#/$defs/headerNames" },
    "samplePercent": { "type": "number", "minimum": 0, "maximum": 100, "default": 100 }
  },
  "additionalProperties": false,
  "$defs": {
    "headerNames": { "type": "array", "items": { "type": "string", "pattern": "^[!#$%&'*+.^_\`|~0-9A-Za-z-]+$" }, "uniqueItems": true }
  }
}`;
