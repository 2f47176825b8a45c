import type { TypeDef, WitType } from "./wit-model.js";
/** The world policies implement. */
export const WORLD_NAME = "policy";

/** Identifier spelling shared by the generators and the build transform. */

export function camel(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function pascal(kebab: string): string {
  const c = camel(kebab);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

export function snake(kebab: string): string {
  return kebab.replace(/-/g, "_");
}

/**
 * AssemblyScript cannot spell the core export names (`cm32p2||on-request`),
 * so the guest exports these names and the build transform renames them.
 */
export const guestExportName = (func: string): string => `pcs_export_${snake(func)}`;
export const guestPostReturnName = (func: string): string => `pcs_post_${snake(func)}`;
export const GUEST_REALLOC = "pcs_realloc";
export const GUEST_INITIALIZE = "pcs_initialize";
export const GUEST_MEMORY = "memory";

/** A key usable inside identifiers, unique per structural type; `named` names a record, variant or enum. */
export function structuralKey(type: WitType, named: (def: TypeDef) => string): string {
  switch (type.kind) {
    case "primitive":
      return pascal(type.name);
    case "list":
      return `List${structuralKey(type.element, named)}`;
    case "option":
      return `Option${structuralKey(type.inner, named)}`;
    case "result":
      return `Result${type.ok ? structuralKey(type.ok, named) : "Void"}${type.err ? structuralKey(type.err, named) : "Void"}`;
    case "named":
      return named(type.def);
  }
}
