import type { ValidateFunction } from "ajv/dist/2020.js";
import type { Capabilities, SchemaError, Violation } from "../contract.js";
import { lazyModule } from "../lazy-module.js";

/** ajv (83 CommonJS files): loaded only where some plugin is granted `json-schema`. */
export const loadAjv = lazyModule<typeof import("ajv/dist/2020.js")>("ajv/dist/2020.js");

/** Most violations reported for one document; the last one says how many were left out. */
const MAX_VIOLATIONS = 50;
/** Most schemas one plugin instance may compile (they live as long as the instance). */
const MAX_SCHEMAS = 256;

/** The `json-schema` capability (draft 2020-12) of one plugin instance. */
export function createJsonSchema(): Capabilities["jsonSchema"] {
  const ajv = new (loadAjv().Ajv2020)({ allErrors: true, strict: false, validateFormats: false });
  const validators: ValidateFunction[] = [];
  return {
    compile(schemaText) {
      if (validators.length >= MAX_SCHEMAS) {
        return { tag: "err", val: { tag: "invalid-schema", val: `at most ${MAX_SCHEMAS} schemas per plugin instance` } };
      }
      try {
        validators.push(ajv.compile(JSON.parse(schemaText) as object));
        return { tag: "ok", val: validators.length - 1 };
      } catch (error) {
        return { tag: "err", val: { tag: "invalid-schema", val: (error as Error).message } };
      }
    },
    validate(handle, document) {
      const validate = validators[handle];
      if (!validate) return { tag: "err", val: { tag: "unknown-handle", val: handle } satisfies SchemaError };
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(document.buffer, document.byteOffset, document.byteLength).toString("utf8"));
      } catch (error) {
        return { tag: "err", val: { tag: "invalid-document", val: (error as Error).message } };
      }
      if (validate(value)) return { tag: "ok", val: [] };
      const errors = validate.errors ?? [];
      const violations: Violation[] = errors.slice(0, MAX_VIOLATIONS).map((error) => ({
        path: error.instancePath,
        message: error.message ?? error.keyword,
      }));
      if (errors.length > MAX_VIOLATIONS) {
        violations.push({ path: "", message: `${errors.length - MAX_VIOLATIONS} more violations not shown` });
      }
      return { tag: "ok", val: violations };
    },
  };
}
