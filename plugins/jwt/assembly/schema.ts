// The configuration schema (JSON Schema 2020-12); README.md documents each field.
const ALGORITHM_NAMES = `["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]`;

// What one provider is: top-level fields in the single-provider form, or an item of `providers`.
const PROVIDER_PROPERTIES = `
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
    "claimsToHeaders": { "type": "object", "additionalProperties": { "$ref": "#/$defs/headerName" } }`;

const ONE_KEY_SOURCE = `[ { "required": ["keys"] }, { "required": ["jwksFile"] }, { "required": ["jwksUrl"] } ]`;

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
    "headerName": { "type": "string", "pattern": "^[A-Za-z0-9!#$%&'*+.^_|~-]+$" },
    "algorithms": { "type": "array", "minItems": 1, "uniqueItems": true, "items": { "enum": ${ALGORITHM_NAMES} } },
    "provider": {
      "type": "object",
      "properties": {
        "algorithms": { "$ref": "#/$defs/algorithms" },${PROVIDER_PROPERTIES}
      },
      "oneOf": ${ONE_KEY_SOURCE},
      "additionalProperties": false
    }
  },
  "properties": {
    "algorithms": { "$ref": "#/$defs/algorithms" },${PROVIDER_PROPERTIES},
    "providers": { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/provider" } },
    "select": { "enum": ["ordered", "issuer"], "default": "ordered" },
    "clockSkewSeconds": { "type": "integer", "minimum": 0, "maximum": 3600, "default": 60 },
    "header": { "$ref": "#/$defs/headerName", "default": "authorization" },
    "scheme": { "type": "string", "pattern": "^[A-Za-z0-9-]*$" },
    "query": { "type": "string", "pattern": "^[A-Za-z0-9_.~-]+$" },
    "cookie": { "$ref": "#/$defs/headerName" },
    "keepToken": { "type": "boolean", "default": false },
    "realm": { "type": "string", "pattern": "^[ !#-[^-~]*$", "default": "api" }
  },
  "required": ["algorithms"],
  "oneOf": [ { "required": ["keys"] }, { "required": ["jwksFile"] }, { "required": ["jwksUrl"] }, { "required": ["providers"] } ],
  "dependentSchemas": {
    "providers": {
      "properties": { "jwksCache": false, "issuer": false, "audience": false, "requiredClaims": false, "claimsToHeaders": false }
    }
  },
  "dependentRequired": { "select": ["providers"] },
  "additionalProperties": false
}`;
