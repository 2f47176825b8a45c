import { Ajv2020 } from "ajv/dist/2020.js";

/**
 * Whether a plugin's described configuration schema is itself a valid JSON Schema (2020-12). Compiling
 * the meta-schema's validator is most of the cost of checking `with:` blocks (about 60 ms, several
 * times that on a busy machine), so it is compiled once per process, and only for plugins loaded in
 * full: a plugin whose cache entry was used had its schema checked before that entry was written.
 */
let metaValidator: Ajv2020 | undefined;

/** Ajv's own wording ("schema is invalid: ..."), or undefined when the schema is valid. */
export function configSchemaProblem(schema: unknown): string | undefined {
  metaValidator ??= new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
  if (metaValidator.validateSchema(schema as object) === true) return undefined;
  return `schema is invalid: ${metaValidator.errorsText(metaValidator.errors)}`;
}
