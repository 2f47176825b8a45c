import { isJwk, JWK_SECRET_MEMBERS, REDACTED, redactString } from "./secret-shapes.js";

export { REDACTED };

/** A JSON Schema as plugins describe their configuration; `writeOnly: true` marks a secret. */
type Schema = Record<string, unknown>;

/**
 * A deep copy of a configuration value for display. A value is hidden because of what it is, not its
 * name: a field the plugin's configuration schema marks `writeOnly` (inside any policy entry's
 * `with:`), a JWK private or symmetric member, a password hash, a PEM private key, credentials in a URL
 * or an Authorization-style value. `pluginSchemas` maps plugin names to their configuration schemas.
 */
export function redact(value: unknown, pluginSchemas: ReadonlyMap<string, Schema> = new Map()): unknown {
  return walk(value, undefined, undefined, pluginSchemas);
}

function walk(value: unknown, schema: Schema | undefined, root: Schema | undefined, plugins: ReadonlyMap<string, Schema>): unknown {
  if (schema && marksSecret(schema, root)) return value === undefined ? value : REDACTED;
  if (typeof value === "string") return redactString(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, schema && subSchemas(schema, root, "items"), root, plugins));
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  // A policy entry: its `with:` is read through the plugin's own schema.
  const policySchema = typeof object.plugin === "string" && "with" in object ? plugins.get(object.plugin) : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(object)) {
    if (isJwk(object) && JWK_SECRET_MEMBERS.has(key)) out[key] = REDACTED;
    else if (key === "with" && policySchema) out[key] = walk(child, policySchema, policySchema, plugins);
    else out[key] = walk(child, schema && subSchemas(schema, root, key), root, plugins);
  }
  return out;
}

/** The schema (or the merged branches) that applies to `key` of an object, or to array items. */
function subSchemas(schema: Schema, root: Schema | undefined, key: string): Schema | undefined {
  const found: Schema[] = [];
  for (const branch of branches(schema, root)) {
    const candidate = key === "items" ? branch.items : ((branch.properties as Record<string, unknown> | undefined)?.[key] ?? branch.additionalProperties);
    if (candidate && typeof candidate === "object") found.push(candidate as Schema);
  }
  return found.length === 0 ? undefined : found.length === 1 ? found[0] : { anyOf: found };
}

/** The schema itself, its local `$ref` target and its allOf/anyOf/oneOf branches, recursively. */
function branches(schema: Schema, root: Schema | undefined, depth = 0): Schema[] {
  if (depth > 16) return [];
  const out: Schema[] = [schema];
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#/") && root) {
    const target = ref
      .slice(2)
      .split("/")
      .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], root);
    if (target && typeof target === "object") out.push(...branches(target as Schema, root, depth + 1));
  }
  for (const combinator of ["allOf", "anyOf", "oneOf"]) {
    const list = schema[combinator];
    if (Array.isArray(list)) for (const item of list) if (item && typeof item === "object") out.push(...branches(item as Schema, root, depth + 1));
  }
  return out;
}

function marksSecret(schema: Schema, root: Schema | undefined): boolean {
  return branches(schema, root).some((branch) => branch.writeOnly === true);
}
