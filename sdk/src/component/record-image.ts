/**
 * A record value lowered once into a byte image that any guest memory can take in one allocation
 * and one copy (GuestMemory.storeImage), its pointers rebased. The host hands each policy of a
 * chain the same request head: encoding it again for every policy, one guest allocation per
 * string, was most of what a policy call cost on the host side.
 *
 * Image layout: the record itself (`root`, stored in place where the caller lowers it), then its
 * out-of-line data (`tail`: list elements, string code units), which gets one guest allocation.
 * Pointers in the image are offsets into the tail; `relocations` lists where they are (image
 * offsets), to add the tail's guest address to.
 *
 * The generated binding walks a value with a visitor over an ImageSink: ImageWriter builds the
 * image, ImageCheck compares a value with the one an image was built from (a cached image is used
 * only for an equal value, so a head changed in place is never served stale).
 */

/** What a generated image visitor writes a value through. Offsets are image offsets. */
export interface ImageSink {
  string(at: number, text: string): void;
  /** A list of `length` elements; returns the image offset of its first element. */
  list(at: number, length: number, stride: number, align: number): number;
  u16(at: number, value: number): void;
  u32(at: number, value: number): void;
}

export interface RecordImage {
  /** Where the out-of-line part starts in the image (the record's size rounded up to 4). */
  readonly tailStart: number;
  /** The record and its out-of-line data, each as stored. */
  readonly root: Uint8Array;
  readonly tail: Uint8Array;
  /** Image offsets of the pointers to rebase (each holds an offset into the out-of-line part). */
  readonly relocations: Uint32Array;
  /** The strings and list lengths visited, in order: what ImageCheck compares against. */
  readonly strings: readonly string[];
  readonly numbers: readonly number[];
}

/** The address an empty string or list gets (its alignment; nothing is read through it). */
const EMPTY_STRING_AT = 2;

export class ImageWriter implements ImageSink {
  #bytes: Uint8Array;
  #view: DataView;
  #units: Uint16Array;
  #end: number;
  readonly #tailStart: number;
  readonly #relocations: number[] = [];
  readonly #strings: string[] = [];
  readonly #numbers: number[] = [];

  constructor(private readonly rootBytes: number) {
    this.#bytes = new Uint8Array(Math.max(512, rootBytes * 4));
    this.#view = new DataView(this.#bytes.buffer);
    this.#units = new Uint16Array(this.#bytes.buffer);
    this.#tailStart = (rootBytes + 3) & -4;
    this.#end = this.#tailStart;
  }

  /** Room for `size` bytes at `align` in the out-of-line part; returns its image offset. */
  #reserve(size: number, align: number): number {
    const tail = this.#tailStart;
    const at = tail + ((this.#end - tail + align - 1) & -align);
    const end = at + size;
    if (end > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.#end));
      this.#bytes = grown;
      this.#view = new DataView(grown.buffer);
      this.#units = new Uint16Array(grown.buffer);
    }
    this.#end = end;
    return at;
  }

  #pointer(at: number, target: number, length: number): void {
    this.#view.setUint32(at, target - this.#tailStart, true);
    this.#view.setUint32(at + 4, length, true);
    this.#relocations.push(at);
  }

  string(at: number, text: string): void {
    this.#strings.push(text);
    const length = text.length;
    if (length === 0) {
      this.#view.setUint32(at, EMPTY_STRING_AT, true);
      this.#view.setUint32(at + 4, 0, true);
      return;
    }
    // Strings are 2-aligned and the out-of-line part starts 4-aligned, so units index exactly.
    const base = this.#reserve(length * 2, 2);
    const units = this.#units;
    for (let i = 0, u = base >>> 1; i < length; i++) units[u + i] = text.charCodeAt(i);
    this.#pointer(at, base, length);
  }

  list(at: number, length: number, stride: number, align: number): number {
    this.#numbers.push(length);
    if (length === 0) {
      this.#view.setUint32(at, align, true);
      this.#view.setUint32(at + 4, 0, true);
      return 0;
    }
    const base = this.#reserve(length * stride, align);
    this.#pointer(at, base, length);
    return base;
  }

  u16(at: number, value: number): void {
    this.#numbers.push(value);
    this.#view.setUint16(at, value, true);
  }

  u32(at: number, value: number): void {
    this.#numbers.push(value);
    this.#view.setUint32(at, value, true);
  }

  finish(): RecordImage {
    const bytes = this.#bytes.slice(0, this.#end);
    return {
      tailStart: this.#tailStart,
      root: bytes.subarray(0, this.rootBytes),
      tail: bytes.subarray(this.#tailStart),
      relocations: Uint32Array.from(this.#relocations),
      strings: this.#strings,
      numbers: this.#numbers,
    };
  }
}

/** Walks a value against an image's record of what it was built from; `same` turns false at the first difference. */
class ImageCheck implements ImageSink {
  same = true;
  #image: RecordImage | undefined;
  #string = 0;
  #number = 0;

  start(image: RecordImage): this {
    this.#image = image;
    this.same = true;
    this.#string = 0;
    this.#number = 0;
    return this;
  }

  string(_at: number, text: string): void {
    if (this.#image!.strings[this.#string++] !== text) this.same = false;
  }

  list(_at: number, length: number): number {
    if (this.#image!.numbers[this.#number++] !== length) this.same = false;
    return 0;
  }

  u16(_at: number, value: number): void {
    if (this.#image!.numbers[this.#number++] !== value) this.same = false;
  }

  u32(at: number, value: number): void {
    this.u16(at, value);
  }
}

/**
 * The image of the last value lowered (one cache per record type). A chain lowers the same head
 * once per policy, so one entry is enough; another value replaces it.
 */
export class ImageCache<T> {
  #last: RecordImage | undefined;
  readonly #check = new ImageCheck();

  constructor(
    private readonly rootBytes: number,
    private readonly visit: (sink: ImageSink, value: T) => void,
  ) {}

  of(value: T): RecordImage {
    const last = this.#last;
    if (last !== undefined) {
      const check = this.#check.start(last);
      this.visit(check, value);
      if (check.same) return last;
    }
    const writer = new ImageWriter(this.rootBytes);
    this.visit(writer, value);
    this.#last = writer.finish();
    return this.#last;
  }
}
