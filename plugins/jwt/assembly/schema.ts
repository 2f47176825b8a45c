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
    "algorithms": {
      "type": "array", "minItems": 1, "uniqueItems": true,
      "items": { "enum": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] }
    },
    "keys": {
      "type": "array", "minItems": 1,
      "items": {
        "type": "object",
        "properties": {
          "kty": { "enum": ["oct", "RSA", "EC", "OKP"] },
          "kid": { "type": "string" },
          "alg": { "type": "string" },
          "use": { "type": "string" },
          "k": { "type": "string", "minLength": 1 }
        },
        "required": ["kty"]
      }
    },
    "jwksFile": { "type": "string", "minLength": 1 },
    "jwksUrl": { "type": "string", "pattern": "^https?://" },
    "jwksCache": {
      "type": "object",
      "properties": {
        "cacheSeconds": { "type": "integer", "minimum": 1, "maximum": 86400, "default": 300 },
        "refreshCooldownSeconds": { "type": "integer", "minimum": 0, "maximum": 3600, "default": 30 },
        "maxStaleSeconds": { "type": "integer", "minimum": 0, "maximum": 604800, "default": 86400 },
        "timeoutMs": { "type": "integer", "minimum": 100, "maximum": 30000, "default": 2000 }
      },
      "additionalProperties": false
    },
    "issuer": { "$ref": "#/$defs/names" },
    "audience": { "$ref": "#/$defs/names" },
    "requiredClaims": { "type": "array", "items": { "type": "string", "minLength": 1 } },
    "clockSkewSeconds": { "type": "integer", "minimum": 0, "maximum": 3600, "default": 60 },
    "header": { "$ref": "#/$defs/headerName", "default": "authorization" },
    "scheme": { "type": "string", "pattern": "^[A-Za-z0-9-]*$" },
    "keepToken": { "type": "boolean", "default": false },
    "claimsToHeaders": { "type": "object", "additionalProperties": { "$ref": "#/$defs/headerName" } },
    "realm": { "type": "string", "pattern": "^[ !#-[^-~]*$", "default": "api" }
  },
  "required": ["algorithms"],
  "oneOf": [ { "required": ["keys"] }, { "required": ["jwksFile"] }, { "required": ["jwksUrl"] } ],
  "additionalProperties": false
}`;
