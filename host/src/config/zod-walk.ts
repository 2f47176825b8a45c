import type { z } from "zod";

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** Strips optional/default/nullable/pipe wrappers to reach the schema that describes the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
}

/** The keys an object schema accepts at `path` of a value validated by `root` (for "did you mean"). */
export function knownKeysAt(root: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let schema: z.ZodType | undefined = unwrap(root);
  for (const segment of path) {
    if (!schema) return [];
    const def = defOf(schema);
    if (def.type === "object" && def.shape) schema = def.shape[String(segment)];
    else if (def.type === "array") schema = def.element;
    else if (def.type === "record") schema = def.valueType;
    else return [];
    schema = schema && unwrap(schema);
  }
  if (!schema) return [];
  const def = defOf(schema);
  if (def.type === "object" && def.shape) return Object.keys(def.shape);
  if (def.type === "record") {
    const keyDef = defOf((schema as unknown as { _zod: { def: { keyType: z.ZodType } } })._zod.def.keyType);
    const entries = (keyDef as { entries?: Record<string, string> }).entries;
    return entries ? Object.values(entries) : [];
  }
  return [];
}
