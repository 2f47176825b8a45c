/**
 * Caps a core module's linear memory before it is compiled: every memory it defines or imports gets
 * a declared maximum no larger than the host's cap, so `memory.grow` past the cap fails inside the
 * guest (AssemblyScript then aborts: a trap that fails that call) instead of growing the process.
 * Checking the size after a call comes too late: one call can take gigabytes first.
 */
import { leb128, Reader, sections } from "./wasm-binary.js";

export const WASM_PAGE_BYTES = 65536;

export interface MemoryCapResult {
  /** The module with every memory's maximum at most the cap (unchanged bytes when already so). */
  module: Uint8Array;
  /** The largest initial size of its memories, in pages (0 when it has none). */
  initialPages: number;
  /** The maximum in force after capping, in pages (undefined when the module has no memory). */
  maximumPages: number | undefined;
}

const IMPORT_SECTION = 2;
const MEMORY_SECTION = 5;
const HAS_MAXIMUM = 0x01;
const MEMORY64 = 0x04;

/** Rewrites the memory limits of `module` (a core module) so none exceeds `capPages` 64 KiB pages. */
export function capMemoryMaximum(module: Uint8Array, capPages: number): MemoryCapResult {
  const state = { initialPages: 0, maximumPages: undefined as number | undefined, changed: false };
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  for (const section of sections(module, 0)) {
    const body = module.subarray(section.start, section.end);
    const rewritten =
      section.id === IMPORT_SECTION ? rewriteImports(body, capPages, state) : section.id === MEMORY_SECTION ? rewriteMemories(body, capPages, state) : body;
    parts.push(Uint8Array.of(section.id, ...leb128(rewritten.length)), rewritten);
  }
  const { initialPages, maximumPages, changed } = state;
  return { module: changed ? concat(parts) : module, initialPages, maximumPages };
}

interface CapState {
  initialPages: number;
  maximumPages: number | undefined;
  changed: boolean;
}

/** One memory type (limits), read at `reader` and re-encoded with the cap applied. */
function cappedLimits(reader: Reader, capPages: number, state: CapState): number[] {
  const flags = reader.byte();
  if (flags & MEMORY64) throw new TypeError("64-bit memories are not supported in policy modules");
  const initial = reader.u32();
  const declared = flags & HAS_MAXIMUM ? reader.u32() : undefined;
  const maximum = Math.min(declared ?? capPages, capPages);
  if (maximum !== declared) state.changed = true;
  state.initialPages = Math.max(state.initialPages, initial);
  state.maximumPages = Math.max(state.maximumPages ?? 0, maximum);
  return [flags | HAS_MAXIMUM, ...leb128(initial), ...leb128(maximum)];
}

function rewriteMemories(body: Uint8Array, capPages: number, state: CapState): Uint8Array {
  const reader = new Reader(body);
  const count = reader.u32();
  const out = [...leb128(count)];
  for (let i = 0; i < count; i++) out.push(...cappedLimits(reader, capPages, state));
  return Uint8Array.from(out);
}

/** Imports are copied byte for byte, except the limits of imported memories. */
function rewriteImports(body: Uint8Array, capPages: number, state: CapState): Uint8Array {
  const reader = new Reader(body);
  const count = reader.u32();
  const parts: Uint8Array[] = [Uint8Array.from(leb128(count))];
  for (let i = 0; i < count; i++) {
    const start = reader.offset;
    reader.name();
    reader.name();
    const kind = reader.byte();
    if (kind === 2) {
      parts.push(body.subarray(start, reader.offset), Uint8Array.from(cappedLimits(reader, capPages, state)));
      continue;
    }
    skipImportType(reader, kind);
    parts.push(body.subarray(start, reader.offset));
  }
  return concat(parts);
}

function skipImportType(reader: Reader, kind: number): void {
  if (kind === 0)
    reader.u32(); // function: type index
  else if (kind === 1) {
    reader.byte(); // table: element type, then limits
    const flags = reader.byte();
    reader.u32();
    if (flags & HAS_MAXIMUM) reader.u32();
  } else if (kind === 3) {
    reader.byte(); // global: value type, mutability
    reader.byte();
  } else if (kind === 4) {
    reader.byte(); // tag: attribute, type index
    reader.u32();
  } else throw new TypeError(`unsupported import kind ${kind} in policy module`);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
