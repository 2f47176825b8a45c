const NAME_LIST = `{ "type": "array", "minItems": 1, "items": { "type": "string", "minLength": 1 } }`;

export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "default": { "enum": ["allow", "deny"], "default": "deny" },
    "errorCode": { "type": "integer", "default": -32003 },
    "limitErrorCode": { "type": "integer", "default": -32029 },
    "limits": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "tools": ${NAME_LIST},
          "requests": { "type": "integer", "minimum": 1 },
          "windowSeconds": { "type": "integer", "minimum": 1, "maximum": 86400 }
        },
        "required": ["tools", "requests", "windowSeconds"],
        "additionalProperties": false
      }
    },
    "rules": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "properties": {
          "effect": { "enum": ["allow", "deny"] },
          "tools": ${NAME_LIST},
          "resources": ${NAME_LIST},
          "prompts": ${NAME_LIST},
          "consumers": ${NAME_LIST},
          "roles": ${NAME_LIST},
          "when": { "type": "string", "minLength": 1 }
        },
        "required": ["effect"],
        "additionalProperties": false
      }
    }
  },
  "required": ["rules"],
  "additionalProperties": false
}`;
