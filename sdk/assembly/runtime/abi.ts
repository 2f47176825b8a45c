// Canonical ABI helpers under the generated bindings. Strings cross as UTF-16
// (the component is built with string-encoding=utf16), so lowering a string is
// zero-copy: the pointer is the AssemblyScript string's own data.
//
// Memory model: the build uses the `minimal` runtime, which never collects on
// its own. Every block allocated during a call (by the host through
// `reallocate`, or by the bindings) stays alive until the call's post-return,
// which runs `collectGarbage`; what the policy keeps in its fields survives.

/** An allocation of `size` bytes the collector owns (an ArrayBuffer object). */
export function allocate(size: usize, align: usize): usize {
  // Object payloads are 16-byte aligned, enough for every canonical ABI type.
  return __new(size, idof<ArrayBuffer>());
}

export function reallocate(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  return old == 0 ? allocate(newSize, align) : __renew(old, newSize);
}

export function collectGarbage(): void {
  __collect();
}

export function liftString(base: usize, length: u32): string {
  return length == 0 ? "" : String.UTF16.decodeUnsafe(base, <usize>length << 1);
}

export function lowerString(value: string, at: usize): void {
  store<usize>(at, changetype<usize>(value));
  store<u32>(at + 4, value.length);
}

export function liftBytes(base: usize, length: u32): Uint8Array {
  const out = new Uint8Array(length);
  memory.copy(out.dataStart, base, length);
  return out;
}

export function lowerBytes(value: Uint8Array, at: usize): void {
  store<usize>(at, value.dataStart);
  store<u32>(at + 4, value.length);
}

/** A present value of a primitive type (`option<u16>` lifts to `Box<u16> | null`). */
export class Box<T> {
  constructor(public value: T) {}
}
