/**
 * The subset of WIT our policy world uses, parsed into a small model that the
 * generators and the ABI layout share. Not a general WIT implementation:
 * resources, tuples, flags, futures and streams are rejected with a message.
 */

export type PrimitiveName = "bool" | "u8" | "u16" | "u32" | "u64" | "s8" | "s16" | "s32" | "s64" | "f32" | "f64" | "string";

export type WitType =
  | { kind: "primitive"; name: PrimitiveName }
  | { kind: "list"; element: WitType }
  | { kind: "option"; inner: WitType }
  | { kind: "result"; ok: WitType | undefined; err: WitType | undefined }
  | { kind: "named"; def: TypeDef };

export interface Field {
  name: string;
  type: WitType;
}

export interface Case {
  name: string;
  type: WitType | undefined;
}

export type TypeDef =
  | { kind: "record"; name: string; iface: string; fields: Field[] }
  | { kind: "variant"; name: string; iface: string; cases: Case[] }
  | { kind: "enum"; name: string; iface: string; cases: string[] };

export interface Func {
  name: string;
  params: Field[];
  result: WitType | undefined;
  /** The package version that added it (`@since`); a component built before may lack it. */
  since?: string;
}

export interface Interface {
  name: string;
  types: Map<string, TypeDef>;
  funcs: Func[];
}

export interface World {
  /** `portcullis:policy` */
  packageName: string;
  /** `0.1.0` */
  version: string;
  name: string;
  interfaces: Map<string, Interface>;
  /** Imported interfaces, in declaration order. */
  imports: Interface[];
  exports: Func[];
}
