// Per-request metadata: values set by earlier policies, as JSON.
import { MetadataEntry } from "../bindings/generated";
import { JsonValue } from "./json";

/** JSON values earlier policies attached to the exchange, by key. */
export class Metadata {
  constructor(public readonly entries: Array<MetadataEntry> = []) {}

  private text(key: string): string | null {
    for (let i = 0; i < this.entries.length; i++) {
      const entry = unchecked(this.entries[i]);
      if (entry.key == key) return entry.value;
    }
    return null;
  }

  has(key: string): bool {
    return this.text(key) !== null;
  }

  /** The value under `key` parsed from JSON, or null when absent or not valid JSON. */
  get(key: string): JsonValue | null {
    const text = this.text(key);
    return text === null ? null : JsonValue.parse(text);
  }

  /** The value under `key` when it is a JSON string, else null. */
  getString(key: string): string | null {
    const value = this.get(key);
    return value !== null && value.isString ? value.stringValue : null;
  }

  get size(): i32 {
    return this.entries.length;
  }
}
