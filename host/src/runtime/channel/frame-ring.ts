import { FrameReader } from "./frame-codec.js";

/** Control words before the data: bytes ever written and ever read (wrapping uint32 counters), reader asleep. */
const WRITTEN = 0;
const READ = 1;
const WAITING = 2;
const HEADER_BYTES = 16;
/** Length word of the filler that skips the unused end of the ring before a frame that would not fit. */
const FILLER = 0xffffffff;

/**
 * Frames in shared memory between one writer and one reader thread: each worker has one for its
 * flows (the gateway writes, the worker reads, sleeping in Atomics.wait when it is empty) and one
 * for its answers (the worker writes, the gateway reads, awaiting Atomics.waitAsync). A frame is
 * [u32 length][encoded value], 4-byte aligned, never split at the end of the ring. Answers written
 * survive the worker being terminated right after (a later flow looped), and each reader takes
 * every frame written so far per wake-up.
 */
export class FrameRing {
  readonly buffer: SharedArrayBuffer;
  readonly #control: Int32Array;
  readonly #lengths: Uint32Array;
  readonly #data: Uint8Array;
  readonly #mask: number;

  /** `capacity`: data bytes, a power of two. */
  constructor(bufferOrCapacity: SharedArrayBuffer | number) {
    this.buffer = typeof bufferOrCapacity === "number" ? new SharedArrayBuffer(HEADER_BYTES + bufferOrCapacity) : bufferOrCapacity;
    const capacity = this.buffer.byteLength - HEADER_BYTES;
    if (capacity < 64 || (capacity & (capacity - 1)) !== 0) throw new RangeError("a frame ring holds a power of two of at least 64 bytes");
    this.#control = new Int32Array(this.buffer, 0, 3);
    this.#lengths = new Uint32Array(this.buffer, HEADER_BYTES);
    this.#data = new Uint8Array(this.buffer, HEADER_BYTES);
    this.#mask = capacity - 1;
  }

  /** Writer: whether a frame of `byteLength` fits now (it still does at the next write: only the reader frees room). */
  fits(byteLength: number): boolean {
    const written = Atomics.load(this.#control, WRITTEN) >>> 0;
    const free = this.#data.length - ((written - (Atomics.load(this.#control, READ) >>> 0)) >>> 0);
    return this.#skipBefore(written, byteLength) + align(4 + byteLength) <= free;
  }

  /** Writer: appends `frame`; false when it does not fit now (the caller sends it another way). */
  write(frame: Uint8Array): boolean {
    if (!this.fits(frame.byteLength)) return false;
    const written = Atomics.load(this.#control, WRITTEN) >>> 0;
    const at = written & this.#mask;
    const size = align(4 + frame.byteLength);
    const skip = this.#skipBefore(written, frame.byteLength);
    if (skip > 0) this.#lengths[at >> 2] = FILLER;
    const start = (at + skip) & this.#mask;
    this.#lengths[start >> 2] = frame.byteLength;
    this.#data.set(frame, start + 4);
    // The store publishes the bytes above to the reader (see publish for waking it).
    Atomics.store(this.#control, WRITTEN, (written + skip + size) | 0);
    return true;
  }

  /**
   * Writer: wakes the reader if it sleeps, after one or more writes. Only the first writer to find
   * it asleep pays for the wake-up; the reader marks itself asleep again before its next wait, and
   * checks for frames after marking, so no write goes unnoticed. The reader sleeps on the WAITING
   * word itself, not on WRITTEN: a publish can come after the reader already took the frames it
   * announces and went back to sleep with WRITTEN unchanged; clearing WAITING then makes that sleep
   * return at once instead of swallowing the wake-up (which left a worker asleep with flows in its
   * ring for good).
   */
  publish(): void {
    if (Atomics.exchange(this.#control, WAITING, 0) === 1) Atomics.notify(this.#control, WAITING);
  }

  /** Bytes left unused at the end of the ring when a frame would not fit before it. */
  #skipBefore(written: number, byteLength: number): number {
    const at = written & this.#mask;
    return at + align(4 + byteLength) > this.#data.length ? this.#data.length - at : 0;
  }

  /** Reader: decodes every frame written so far, in order. */
  drain(each: (value: unknown) => void): void {
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
    Atomics.store(this.#control, WAITING, 1);
    if (Atomics.load(this.#control, WRITTEN) !== Atomics.load(this.#control, READ)) return undefined;
    const wait = (Atomics as AtomicsWithWaitAsync).waitAsync(this.#control, WAITING, 1);
    return wait.async ? wait.value : undefined;
  }

  /** Reader on a thread that may block: sleeps until something is written after the last drain. */
  waitForWrite(): void {
    Atomics.store(this.#control, WAITING, 1);
    if (Atomics.load(this.#control, WRITTEN) === Atomics.load(this.#control, READ)) Atomics.wait(this.#control, WAITING, 1);
    Atomics.store(this.#control, WAITING, 0);
  }

  /** Writer: whether the reader marked itself asleep (a publish would wake it). */
  readerAsleep(): boolean {
    return Atomics.load(this.#control, WAITING) === 1;
  }

  /** Wakes a reader waiting in nextWrite (when the channel closes). */
  wake(): void {
    Atomics.store(this.#control, WAITING, 0);
    Atomics.notify(this.#control, WAITING);
  }
}

/** Node has Atomics.waitAsync (ES2024); the project's TypeScript lib predates it. */
type AtomicsWithWaitAsync = typeof Atomics & {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
};

function align(bytes: number): number {
  return (bytes + 3) & ~3;
}
