/**
 * Canonical ABI layout (size, alignment, flattening) of the WIT subset, as the
 * Component Model specification defines it (CanonicalABI.md), and the core
 * names that wit-component expects for the world's imports and exports.
 */
import type { Case, Func, Interface, WitType, World } from "./wit-model.js";

export type CoreType = "i32" | "i64" | "f32" | "f64";

export const MAX_FLAT_PARAMS = 16;
export const MAX_FLAT_RESULTS = 1;

export function alignTo(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

const PRIMITIVE_SIZE: Record<string, number> = {
  bool: 1,
  u8: 1,
  s8: 1,
  u16: 2,
  s16: 2,
  u32: 4,
  s32: 4,
  f32: 4,
  u64: 8,
  s64: 8,
  f64: 8,
  string: 8,
};

/** The cases of an option, result or variant, uniformly. */
export function casesOf(type: WitType): Case[] | undefined {
  if (type.kind === "option")
    return [
      { name: "none", type: undefined },
      { name: "some", type: type.inner },
    ];
  if (type.kind === "result")
    return [
      { name: "ok", type: type.ok },
      { name: "err", type: type.err },
    ];
  if (type.kind === "named" && type.def.kind === "variant") return type.def.cases;
  return undefined;
}

export function discriminantSize(caseCount: number): number {
  return caseCount <= 256 ? 1 : caseCount <= 65536 ? 2 : 4;
}

export function alignment(type: WitType): number {
  switch (type.kind) {
    case "primitive":
      return type.name === "string" ? 4 : PRIMITIVE_SIZE[type.name]!;
    case "list":
      return 4;
    case "named":
      if (type.def.kind === "record") return Math.max(1, ...type.def.fields.map((f) => alignment(f.type)));
      if (type.def.kind === "enum") return discriminantSize(type.def.cases.length);
  }
  const cases = casesOf(type)!;
  return Math.max(discriminantSize(cases.length), ...cases.map((c) => (c.type ? alignment(c.type) : 1)));
}

export function size(type: WitType): number {
  switch (type.kind) {
    case "primitive":
      return PRIMITIVE_SIZE[type.name]!;
    case "list":
      return 8;
    case "named":
      if (type.def.kind === "record") {
        let offset = 0;
        for (const field of type.def.fields) offset = alignTo(offset, alignment(field.type)) + size(field.type);
        return alignTo(offset, alignment(type));
      }
      if (type.def.kind === "enum") return discriminantSize(type.def.cases.length);
  }
  return alignTo(payloadOffset(type) + Math.max(0, ...casesOf(type)!.map((c) => (c.type ? size(c.type) : 0))), alignment(type));
}

/** Offset of a variant's payload after its discriminant. */
export function payloadOffset(type: WitType): number {
  const cases = casesOf(type)!;
  return alignTo(discriminantSize(cases.length), Math.max(1, ...cases.map((c) => (c.type ? alignment(c.type) : 1))));
}

/** Byte offsets of a record's fields. */
export function fieldOffsets(type: WitType & { kind: "named" }): number[] {
  if (type.def.kind !== "record") throw new Error("fieldOffsets of a non-record");
  const offsets: number[] = [];
  let offset = 0;
  for (const field of type.def.fields) {
    offset = alignTo(offset, alignment(field.type));
    offsets.push(offset);
    offset += size(field.type);
  }
  return offsets;
}

function join(a: CoreType, b: CoreType): CoreType {
  if (a === b) return a;
  if ((a === "i32" && b === "f32") || (a === "f32" && b === "i32")) return "i32";
  return "i64";
}

export function flatten(type: WitType): CoreType[] {
  switch (type.kind) {
    case "primitive":
      if (type.name === "string") return ["i32", "i32"];
      if (type.name === "u64" || type.name === "s64") return ["i64"];
      if (type.name === "f32" || type.name === "f64") return [type.name];
      return ["i32"];
    case "list":
      return ["i32", "i32"];
    case "named":
      if (type.def.kind === "record") return type.def.fields.flatMap((f) => flatten(f.type));
      if (type.def.kind === "enum") return ["i32"];
  }
  const joined: CoreType[] = [];
  for (const c of casesOf(type)!) {
    (c.type ? flatten(c.type) : []).forEach((core, i) => {
      joined[i] = joined[i] === undefined ? core : join(joined[i]!, core);
    });
  }
  return ["i32", ...joined];
}

/**
 * True when every case's flat payload already has the joined core types, so
 * lifting and lowering it flat needs no bit reinterpretation. The generators
 * only support flat variants of this kind (all the world needs).
 */
export function isUniformFlatVariant(type: WitType): boolean {
  const joined = flatten(type).slice(1);
  return casesOf(type)!.every((c) => (c.type ? flatten(c.type) : []).every((core, i) => core === joined[i]));
}

export interface CoreSignature {
  params: CoreType[];
  results: CoreType[];
}

export interface CoreFunc {
  func: Func;
  /** The interface of an import; undefined for the world's own exports. */
  iface: Interface | undefined;
  /** Core module name of an import. */
  module: string;
  /** Core function (import) or export name. */
  name: string;
  /** Core name of the post-return export (exports only). */
  postReturn: string | undefined;
  signature: CoreSignature;
  /** Params passed in memory behind one pointer (more than 16 flat values). */
  paramsInMemory: boolean;
  /** Result passed in memory (more than one flat value). */
  resultInMemory: boolean;
}

function coreFunc(func: Func, importFrom: Interface | undefined, module: string, name: string, postReturn: string | undefined): CoreFunc {
  const flatParams = func.params.flatMap((p) => flatten(p.type));
  const flatResults = func.result ? flatten(func.result) : [];
  const paramsInMemory = flatParams.length > MAX_FLAT_PARAMS;
  const resultInMemory = flatResults.length > MAX_FLAT_RESULTS;
  const params: CoreType[] = paramsInMemory ? ["i32"] : flatParams;
  const results: CoreType[] = resultInMemory ? (importFrom ? [] : ["i32"]) : flatResults;
  // An import returns a large result through a pointer the caller passes last.
  if (resultInMemory && importFrom) params.push("i32");
  return { func, iface: importFrom, module, name, postReturn, signature: { params, results }, paramsInMemory, resultInMemory };
}

/** `0.1.0` -> `0.1`, `1.2.3` -> `1`: the semver-compatible version wit-component puts in core names. */
function compatibleVersion(version: string): string {
  const [major = "0", minor = "0", patch = "0"] = version.split(/[.-]/);
  if (major !== "0") return major;
  if (minor !== "0") return `0.${minor}`;
  return `0.0.${patch}`;
}

export const CORE_NAME_PREFIX = "cm32p2";
export const CORE_MEMORY = `${CORE_NAME_PREFIX}_memory`;
export const CORE_REALLOC = `${CORE_NAME_PREFIX}_realloc`;
export const CORE_INITIALIZE = `${CORE_NAME_PREFIX}_initialize`;

export function importModuleName(world: World, iface: Interface): string {
  return `${CORE_NAME_PREFIX}|${world.packageName}/${iface.name}@${compatibleVersion(world.version)}`;
}

/** Every core import and export of the world, in WIT order. */
export function coreContract(world: World): { imports: CoreFunc[]; exports: CoreFunc[] } {
  const imports = world.imports.flatMap((iface) => iface.funcs.map((func) => coreFunc(func, iface, importModuleName(world, iface), func.name, undefined)));
  const exports = world.exports.map((func) => coreFunc(func, undefined, "", `${CORE_NAME_PREFIX}||${func.name}`, `${CORE_NAME_PREFIX}||${func.name}_post`));
  return { imports, exports };
}
