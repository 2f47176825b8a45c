import { FrameReader } from "./frame-codec.js";

/** Control words before the data: bytes ever written and ever read (wrapping uint32 counters). */
const WRITTEN = 0;
const READ = 1;
const HEADER_BYTES = 8;
/** Length word of the filler that skips the unused end of the ring before a frame that would not fit. */
const FILLER = 0xffffffff;

/**
 * A worker's answers to the gateway in shared memory: one writer (the worker), one reader (the
 * gateway). A frame is [u32 length][encoded answer], 4-byte aligned, never split at the end of the
 * ring. Answers written here survive the worker being terminated right after (a later flow looped),
 * and the gateway drains several per wake-up: the worker notifies WRITTEN, which the gateway
 * awaits with Atomics.waitAsync.
 */
export class ResultRing {
  readonly buffer: SharedArrayBuffer;
  readonly #control: Int32Array;
  readonly #lengths: Uint32Array;
  readonly #data: Uint8Array;
  readonly #mask: number;

  /** `capacity`: data bytes, a power of two. */
  constructor(bufferOrCapacity: SharedArrayBuffer | number) {
    this.buffer = typeof bufferOrCapacity === "number" ? new SharedArrayBuffer(HEADER_BYTES + bufferOrCapacity) : bufferOrCapacity;
    const capacity = this.buffer.byteLength - HEADER_BYTES;
    if (capacity < 64 || (capacity & (capacity - 1)) !== 0) throw new RangeError("a result ring holds a power of two of at least 64 bytes");
    this.#control = new Int32Array(this.buffer, 0, 2);
    this.#lengths = new Uint32Array(this.buffer, HEADER_BYTES);
    this.#data = new Uint8Array(this.buffer, HEADER_BYTES);
    this.#mask = capacity - 1;
  }

  /** Writer: appends `frame`; false when it does not fit now (the caller sends it another way). */
  write(frame: Uint8Array): boolean {
    const written = Atomics.load(this.#control, WRITTEN) >>> 0;
    const free = this.#data.length - ((written - (Atomics.load(this.#control, READ) >>> 0)) >>> 0);
    const at = written & this.#mask;
    const size = align(4 + frame.byteLength);
    const skip = at + size > this.#data.length ? this.#data.length - at : 0;
    if (skip + size > free) return false;
    if (skip > 0) this.#lengths[at >> 2] = FILLER;
    const start = (at + skip) & this.#mask;
    this.#lengths[start >> 2] = frame.byteLength;
    this.#data.set(frame, start + 4);
    // The store publishes the bytes above to the reader; the notify wakes it if it waits.
    Atomics.store(this.#control, WRITTEN, (written + skip + size) | 0);
    Atomics.notify(this.#control, WRITTEN);
    return true;
  }

  /** Reader: decodes every frame written so far, in order. */
  drain(each: (answer: unknown) => void): void {
    let read = Atomics.load(this.#control, READ) >>> 0;
    const written = Atomics.load(this.#control, WRITTEN) >>> 0;
    while (read !== written) {
      const at = read & this.#mask;
      const length = this.#lengths[at >> 2]!;
      if (length === FILLER) {
        read = (read + this.#data.length - at) >>> 0;
        continue;
      }
      each(new FrameReader(this.#data.subarray(at + 4, at + 4 + length), true).read());
      read = (read + align(4 + length)) >>> 0;
    }
    Atomics.store(this.#control, READ, read | 0);
  }

  /** Reader: resolves when frames may have arrived since the last drain (at once if some have). */
  nextWrite(): Promise<unknown> | undefined {
    const written = Atomics.load(this.#control, WRITTEN);
    if (written !== Atomics.load(this.#control, READ)) return undefined;
    const wait = (Atomics as AtomicsWithWaitAsync).waitAsync(this.#control, WRITTEN, written);
    return wait.async ? wait.value : undefined;
  }

  /** Wakes a reader waiting in nextWrite (when the channel closes). */
  wake(): void {
    Atomics.notify(this.#control, WRITTEN);
  }
}

/** Node has Atomics.waitAsync (ES2024); the project's TypeScript lib predates it. */
type AtomicsWithWaitAsync = typeof Atomics & {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
};

function align(bytes: number): number {
  return (bytes + 3) & ~3;
}
