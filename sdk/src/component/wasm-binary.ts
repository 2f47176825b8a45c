/**
 * Just enough of the WebAssembly binary formats to find a component's core
 * modules and read a core module's function signatures (which the JS API
 * does not expose), so a policy can be checked before it is instantiated.
 */

export class Reader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.offset = offset;
  }
  byte(): number {
    if (this.offset >= this.bytes.length) throw new RangeError("unexpected end of WebAssembly binary");
    return this.bytes[this.offset++]!;
  }
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.byte();
      result |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result >>> 0;
    }
    throw new RangeError("malformed LEB128 in WebAssembly binary");
  }
  name(): string {
    const length = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return text;
  }
}

export function sections(bytes: Uint8Array, layer: number): { id: number; start: number; end: number }[] {
  const magic = bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
  if (!magic || bytes.length < 8 || bytes[6] !== layer || bytes[7] !== 0) {
    throw new TypeError(layer === 1 ? "not a WebAssembly component" : "not a WebAssembly core module");
  }
  const reader = new Reader(bytes, 8);
  const found: { id: number; start: number; end: number }[] = [];
  while (reader.offset < bytes.length) {
    const id = reader.byte();
    const length = reader.u32();
    found.push({ id, start: reader.offset, end: reader.offset + length });
    reader.offset += length;
  }
  return found;
}

/** The core modules embedded at the top level of a component, in order. */
export function componentCoreModules(component: Uint8Array): Uint8Array[] {
  const CORE_MODULE_SECTION = 1;
  return sections(component, 1)
    .filter((s) => s.id === CORE_MODULE_SECTION)
    .map((s) => component.subarray(s.start, s.end));
}

/** The payload of the first top-level custom section called `name` (a component or a core module), if any. */
export function customSection(bytes: Uint8Array, name: string): Uint8Array | undefined {
  const layer = bytes[6] === 1 ? 1 : 0;
  for (const section of sections(bytes, layer)) {
    if (section.id !== 0) continue;
    const reader = new Reader(bytes, section.start);
    if (reader.name() === name) return bytes.subarray(reader.offset, section.end);
  }
  return undefined;
}

/** `bytes` with a custom section `name` appended at the top level (allowed anywhere in both formats). */
export function withCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const encodedName = new TextEncoder().encode(name);
  const head = Uint8Array.from([...leb128(encodedName.length), ...encodedName]);
  const size = leb128(head.length + payload.length);
  // No spreading of `bytes`: a script component's core module is megabytes long.
  const out = new Uint8Array(bytes.length + 1 + size.length + head.length + payload.length);
  out.set(bytes);
  out.set([0, ...size], bytes.length);
  out.set(head, bytes.length + 1 + size.length);
  out.set(payload, bytes.length + 1 + size.length + head.length);
  return out;
}

export function leb128(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

const VALUE_TYPES: Record<number, string> = { 127: "i32", 126: "i64", 125: "f32", 124: "f64", 123: "v128" };

export interface FuncSignature {
  readonly params: readonly string[];
  readonly results: readonly string[];
}

export interface CoreModuleShape {
  imports: { module: string; name: string; kind: "func" | "other"; signature?: FuncSignature }[];
  exports: { name: string; kind: "func" | "memory" | "other"; signature?: FuncSignature }[];
  /** Declared maximum of memory 0 in 64 KiB pages, if any. */
  memoryMaximumPages: number | undefined;
}

function valueTypes(reader: Reader): string[] {
  const count = reader.u32();
  const types: string[] = [];
  for (let i = 0; i < count; i++) {
    const code = reader.byte();
    types.push(VALUE_TYPES[code] ?? `type 0x${code.toString(16)}`);
  }
  return types;
}

function limits(reader: Reader): number | undefined {
  const flags = reader.byte();
  reader.u32();
  return flags & 1 ? reader.u32() : undefined;
}

/** Imports and exports of a core module with their function signatures. */
export function coreModuleShape(module: Uint8Array): CoreModuleShape {
  const types: FuncSignature[] = [];
  const functionTypes: number[] = [];
  const shape: CoreModuleShape = { imports: [], exports: [], memoryMaximumPages: undefined };
  const rawExports: { name: string; kind: number; index: number }[] = [];
  for (const section of sections(module, 0)) {
    const reader = new Reader(module, section.start);
    if (section.id === 1) {
      for (let i = 0, n = reader.u32(); i < n; i++) {
        if (reader.byte() !== 0x60) throw new TypeError("unsupported core type in policy module");
        types.push({ params: valueTypes(reader), results: valueTypes(reader) });
      }
    } else if (section.id === 2) {
      for (let i = 0, n = reader.u32(); i < n; i++) {
        const moduleName = reader.name();
        const name = reader.name();
        const kind = reader.byte();
        if (kind === 0) {
          const typeIndex = reader.u32();
          functionTypes.push(typeIndex);
          shape.imports.push({ module: moduleName, name, kind: "func", signature: types[typeIndex] });
        } else {
          shape.imports.push({ module: moduleName, name, kind: "other" });
          if (kind === 1) {
            reader.byte();
            limits(reader);
          } else if (kind === 2) shape.memoryMaximumPages = limits(reader);
          else if (kind === 3) {
            reader.byte();
            reader.byte();
          } else throw new TypeError(`unsupported import kind ${kind} in policy module`);
        }
      }
    } else if (section.id === 3) {
      for (let i = 0, n = reader.u32(); i < n; i++) functionTypes.push(reader.u32());
    } else if (section.id === 5) {
      if (reader.u32() > 0) shape.memoryMaximumPages = limits(reader);
    } else if (section.id === 7) {
      for (let i = 0, n = reader.u32(); i < n; i++) rawExports.push({ name: reader.name(), kind: reader.byte(), index: reader.u32() });
    }
  }
  for (const raw of rawExports) {
    if (raw.kind === 0) shape.exports.push({ name: raw.name, kind: "func", signature: types[functionTypes[raw.index]!] });
    else shape.exports.push({ name: raw.name, kind: raw.kind === 2 ? "memory" : "other" });
  }
  return shape;
}
