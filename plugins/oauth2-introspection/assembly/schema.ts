// The configuration schema (JSON Schema 2020-12); README.md documents each field.
export const SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "$defs": {
    "names": {
      "oneOf": [
        { "type": "string", "minLength": 1 },
        { "type": "array", "minItems": 1, "items": { "type": "string", "minLength": 1 } }
      ]
    },
    "headerName": { "type": "string", "pattern": "^[A-Za-z0-9!#$%&'*+.^_|~-]+$" }
  },
  "properties": {
    "endpoint": { "type": "string", "pattern": "^https?://" },
    "clientId": { "type": "string", "minLength": 1 },
    "clientSecret": { "type": "string", "minLength": 1, "writeOnly": true },
    "clientAuth": { "enum": ["basic", "post"], "default": "basic" },
    "tokenTypeHint": { "type": "string", "default": "access_token" },
    "timeoutMs": { "type": "integer", "minimum": 50, "maximum": 30000, "default": 2000 },
    "scopes": { "type": "array", "items": { "type": "string", "pattern": "^[!#-\\\\[\\\\]-~]+$" } },
    "audience": { "$ref": "#/$defs/names" },
    "issuer": { "$ref": "#/$defs/names" },
    "cache": {
      "type": "object",
      "properties": {
        "maxSeconds": { "type": "integer", "minimum": 0, "maximum": 86400, "default": 300 },
        "inactiveSeconds": { "type": "integer", "minimum": 0, "maximum": 3600, "default": 30 }
      },
      "additionalProperties": false
    },
    "failureMode": { "enum": ["closed", "open"], "default": "closed" },
    "header": { "$ref": "#/$defs/headerName", "default": "authorization" },
    "scheme": { "type": "string", "pattern": "^[A-Za-z0-9-]*$" },
    "metadataKey": { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "default": "oauth2" },
    "claimsToHeaders": { "type": "object", "additionalProperties": { "$ref": "#/$defs/headerName" } },
    "keepToken": { "type": "boolean", "default": false },
    "realm": { "type": "string", "pattern": "^[ !#-[^-~]*$", "default": "api" }
  },
  "required": ["endpoint", "clientId", "clientSecret"],
  "additionalProperties": false
}`;
