// JSON Schema (draft 2020-12) of the transform policy's `with:` block.
export const CONFIG_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "request": {
      "type": "object",
      "properties": {
        "path": { "$ref": "#/$defs/path" },
        "method": { "type": "string", "pattern": "^[A-Z][A-Z0-9_-]*$", "maxLength": 32 },
        "query": { "$ref": "#/$defs/query" },
        "body": { "$ref": "#/$defs/body" }
      },
      "additionalProperties": false,
      "minProperties": 1
    },
    "response": {
      "type": "object",
      "properties": { "body": { "$ref": "#/$defs/body" } },
      "additionalProperties": false,
      "required": ["body"]
    },
    "invalidBody": { "enum": ["pass", "reject"] }
  },
  "additionalProperties": false,
  "anyOf": [{ "required": ["request"] }, { "required": ["response"] }],
  "$defs": {
    "absolutePath": { "type": "string", "pattern": "^/", "maxLength": 2048 },
    "path": {
      "oneOf": [
        {
          "type": "object",
          "properties": { "prefix": { "$ref": "#/$defs/absolutePath" }, "to": { "$ref": "#/$defs/absolutePath" } },
          "required": ["prefix", "to"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": { "template": { "$ref": "#/$defs/absolutePath" }, "to": { "$ref": "#/$defs/absolutePath" } },
          "required": ["template", "to"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": { "regex": { "type": "string", "minLength": 1, "maxLength": 4096 }, "to": { "type": "string", "maxLength": 2048 } },
          "required": ["regex", "to"],
          "additionalProperties": false
        },
        {
          "type": "object",
          "properties": { "expression": { "type": "string", "minLength": 1 } },
          "required": ["expression"],
          "additionalProperties": false
        }
      ]
    },
    "queryValue": {
      "oneOf": [
        { "type": "string" },
        {
          "type": "object",
          "properties": { "expression": { "type": "string", "minLength": 1 } },
          "required": ["expression"],
          "additionalProperties": false
        }
      ]
    },
    "query": {
      "type": "object",
      "properties": {
        "remove": { "type": "array", "items": { "type": "string", "minLength": 1 }, "uniqueItems": true },
        "set": { "type": "object", "propertyNames": { "minLength": 1 }, "additionalProperties": { "$ref": "#/$defs/queryValue" } },
        "add": { "type": "object", "propertyNames": { "minLength": 1 }, "additionalProperties": { "$ref": "#/$defs/queryValue" } }
      },
      "additionalProperties": false,
      "minProperties": 1
    },
    "jsonPath": { "type": "string", "pattern": "^\\\\$", "minLength": 2 },
    "body": {
      "type": "object",
      "properties": {
        "remove": { "type": "array", "items": { "$ref": "#/$defs/jsonPath" } },
        "rename": {
          "type": "array",
          "items": {
            "type": "object",
            "properties": { "path": { "$ref": "#/$defs/jsonPath" }, "to": { "type": "string", "minLength": 1 } },
            "required": ["path", "to"],
            "additionalProperties": false
          }
        },
        "set": {
          "type": "array",
          "items": {
            "type": "object",
            "properties": {
              "path": { "$ref": "#/$defs/jsonPath" },
              "value": true,
              "expression": { "type": "string", "minLength": 1 }
            },
            "required": ["path"],
            "oneOf": [{ "required": ["value"] }, { "required": ["expression"] }],
            "additionalProperties": false
          }
        }
      },
      "additionalProperties": false,
      "minProperties": 1
    }
  }
}`;
