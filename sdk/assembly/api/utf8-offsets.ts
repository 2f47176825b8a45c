// Maps UTF-8 byte offsets, as the `regex` capability answers them, back to indexes into the string that
// was encoded, so a policy cuts and masks the string itself instead of decoding byte slices. Ask in
// increasing order: each answer walks on from the previous one, so all the matches of one search cost
// a single pass over the text.

export class Utf8Offsets {
  private index: i32 = 0;
  private byte: i32 = 0;

  constructor(public readonly text: string) {}

  /**
   * The index in `text` of the character whose UTF-8 starts at `byteOffset` (for an offset inside a
   * character, the next character; past the end, `text.length`). An offset below the previous one
   * starts the walk again from the beginning.
   */
  charIndex(byteOffset: i32): i32 {
    if (byteOffset < this.byte) {
      this.index = 0;
      this.byte = 0;
    }
    const text = this.text;
    while (this.byte < byteOffset && this.index < text.length) {
      const c = text.charCodeAt(this.index);
      if (c < 0x80) this.byte += 1;
      else if (c < 0x800) this.byte += 2;
      else if (isSurrogatePair(text, this.index)) {
        this.byte += 4;
        this.index++;
      } else this.byte += 3; // other BMP characters, and lone surrogates (encoded as three bytes)
      this.index++;
    }
    return this.index;
  }
}

function isSurrogatePair(text: string, index: i32): bool {
  const high = text.charCodeAt(index);
  if (high < 0xd800 || high > 0xdbff || index + 1 >= text.length) return false;
  const low = text.charCodeAt(index + 1);
  return low >= 0xdc00 && low <= 0xdfff;
}
