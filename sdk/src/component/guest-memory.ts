import type { RecordImage } from "./record-image.js";
import type { WasmMemory } from "./wasm-api.js";

/**
 * Host access to one guest's linear memory, used by the generated binding.
 * Views are re-created when the memory grows (growing detaches the old buffer).
 * Strings are UTF-16 code units, as the component's string encoding says.
 */

const utf16 = new TextDecoder("utf-16le");
/** Below this length, building the string from char codes beats TextDecoder. */
const SHORT_STRING = 48;

export class GuestMemory {
  private buffer: ArrayBuffer | undefined;
  private dataView = new DataView(new ArrayBuffer(0));
  private bytes = new Uint8Array(0);
  private units = new Uint16Array(0);
  memory: WasmMemory | undefined;
  realloc: ((old: number, oldSize: number, align: number, size: number) => number) | undefined;

  view(): DataView {
    const buffer = this.memory!.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.dataView = new DataView(buffer);
      this.bytes = new Uint8Array(buffer);
      this.units = new Uint16Array(buffer, 0, buffer.byteLength >>> 1);
    }
    return this.dataView;
  }

  allocate(size: number, align: number): number {
    if (size === 0) return align;
    return this.realloc!(0, 0, align, size) >>> 0;
  }

  readString(base: number, length: number): string {
    if (length === 0) return "";
    this.view();
    if (base & 1 || base + length * 2 > this.bytes.length) throw new RangeError("guest string out of bounds");
    const start = base >>> 1;
    if (length <= SHORT_STRING) {
      const units = this.units;
      let text = "";
      for (let i = start, end = start + length; i < end; i++) text += String.fromCharCode(units[i]!);
      return text;
    }
    return utf16.decode(this.bytes.subarray(base, base + length * 2));
  }

  /** Copies `text` into a fresh guest allocation and returns its address. */
  writeString(text: string): number {
    const length = text.length;
    if (length === 0) return 2;
    const base = this.allocate(length * 2, 2);
    this.view();
    const units = this.units;
    for (let i = 0, at = base >>> 1; i < length; i++) units[at + i] = text.charCodeAt(i);
    return base;
  }

  storeString(at: number, text: string): void {
    const base = this.writeString(text);
    const dv = this.view();
    dv.setUint32(at, base, true);
    dv.setUint32(at + 4, text.length, true);
  }

  /** Stores a record lowered once (record-image.ts) at `at`: its out-of-line data in one allocation, pointers rebased. */
  storeImage(at: number, image: RecordImage): void {
    const root = image.tailStart;
    const tail = image.tail.length === 0 ? 0 : this.allocate(image.tail.length, 4);
    const dv = this.view();
    this.bytes.set(image.root, at);
    if (tail !== 0) this.bytes.set(image.tail, tail);
    const relocations = image.relocations;
    for (let i = 0; i < relocations.length; i++) {
      const offset = relocations[i]!;
      const field = offset < root ? at + offset : tail + offset - root;
      dv.setUint32(field, dv.getUint32(field, true) + tail, true);
    }
  }

  readBytes(base: number, length: number): Uint8Array {
    this.view();
    if (base + length > this.bytes.length) throw new RangeError("guest list out of bounds");
    return this.bytes.slice(base, base + length);
  }

  storeBytes(at: number, data: Uint8Array): void {
    const base = this.allocate(data.length, 1);
    const dv = this.view();
    this.bytes.set(data, base);
    dv.setUint32(at, base, true);
    dv.setUint32(at + 4, data.length, true);
  }
}

export function liftBytes(m: GuestMemory, base: number, length: number): Uint8Array {
  return m.readBytes(base, length);
}

export function liftEnum<T>(names: readonly T[], index: number): T {
  const name = names[index];
  if (name === undefined) throw invalidCase(`enum case ${index}`);
  return name;
}

export function lowerEnum(index: Record<string, number>, name: string): number {
  const value = index[name];
  if (value === undefined) throw new TypeError(`'${name}' is not a case of this enum`);
  return value;
}

export function invalidCase(what: string): Error {
  return new TypeError(`invalid ${what}: the value does not match the policy world`);
}

/**
 * The capability object a module's imports call. A capability that was not
 * provided still links (so `describe` can run without grants) but every call
 * to it throws, which traps the guest.
 */
export function need<C, K extends keyof C>(capabilities: Partial<C>, name: K): NonNullable<C[K]> {
  const capability = capabilities[name];
  if (capability) return capability as NonNullable<C[K]>;
  const refuse = (): never => {
    throw new Error(`the policy called capability '${String(name)}', which was not provided`);
  };
  return new Proxy({}, { get: () => refuse }) as NonNullable<C[K]>;
}
