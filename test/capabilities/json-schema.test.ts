import { describe, expect, it } from "vitest";
import { createJsonSchema } from "../../host/src/capabilities/json-schema/json-schema-capability.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("json-schema capability (draft 2020-12)", () => {
  const schema = JSON.stringify({
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    required: ["name", "items"],
    properties: {
      name: { type: "string", minLength: 1 },
      items: { type: "array", prefixItems: [{ type: "integer" }], items: { type: "string" } },
    },
    additionalProperties: false,
  });

  it("validates documents and reports violations as JSON Pointer paths", () => {
    const jsonSchema = createJsonSchema();
    const handle = jsonSchema.compile(schema);
    if (handle.tag === "err") throw new Error(JSON.stringify(handle.val));
    expect(jsonSchema.validate(handle.val, bytes('{"name":"a","items":[1,"x"]}'))).toEqual({ tag: "ok", val: [] });
    const result = jsonSchema.validate(handle.val, bytes('{"name":"","items":["no",2],"extra":true}'));
    expect(result.tag).toBe("ok");
    const paths = (result.val as { path: string; message: string }[]).map((v) => v.path).sort();
    expect(paths).toEqual(["", "/items/0", "/items/1", "/name"]);
  });

  it("caps the number of violations", () => {
    const jsonSchema = createJsonSchema();
    const handle = jsonSchema.compile('{"type":"array","items":{"type":"string"}}');
    if (handle.tag === "err") throw new Error("compile failed");
    const result = jsonSchema.validate(handle.val, bytes(JSON.stringify(Array.from({ length: 500 }, (_, i) => i))));
    const violations = result.val as { message: string }[];
    expect(violations).toHaveLength(51);
    expect(violations[50]!.message).toBe("450 more violations not shown");
  });

  it("reports bad schemas, bad documents and unknown handles", () => {
    const jsonSchema = createJsonSchema();
    expect(jsonSchema.compile("{not json")).toMatchObject({ tag: "err", val: { tag: "invalid-schema" } });
    expect(jsonSchema.compile('{"type":"nonsense"}')).toMatchObject({ tag: "err", val: { tag: "invalid-schema" } });
    const handle = jsonSchema.compile('{"type":"object"}');
    if (handle.tag === "err") throw new Error("compile failed");
    expect(jsonSchema.validate(handle.val, bytes("{oops"))).toMatchObject({ tag: "err", val: { tag: "invalid-document" } });
    expect(jsonSchema.validate(42, bytes("{}"))).toEqual({ tag: "err", val: { tag: "unknown-handle", val: 42 } });
  });
});
