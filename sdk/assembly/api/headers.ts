// Header lists as the gateway passes them: repeated names kept in order.
// Lookups ignore case; the gateway already sends names in lower case.
import { Header } from "../bindings/generated";

/** A message's headers: case-insensitive, multi-valued, in the order received. */
export class Headers {
  constructor(public readonly list: Array<Header> = []) {}

  /** The first value of `name`, or null. */
  get(name: string): string | null {
    const wanted = name.toLowerCase();
    for (let i = 0; i < this.list.length; i++) {
      const header = unchecked(this.list[i]);
      if (header.name == wanted || header.name.toLowerCase() == wanted) return header.value;
    }
    return null;
  }

  /** Every value of `name`, in order. */
  getAll(name: string): Array<string> {
    const wanted = name.toLowerCase();
    const values = new Array<string>();
    for (let i = 0; i < this.list.length; i++) {
      const header = unchecked(this.list[i]);
      if (header.name == wanted || header.name.toLowerCase() == wanted) values.push(header.value);
    }
    return values;
  }

  has(name: string): bool {
    return this.get(name) !== null;
  }

  /** Number of fields (a repeated name counts once per field). */
  get size(): i32 {
    return this.list.length;
  }

  nameAt(index: i32): string {
    return this.list[index].name;
  }

  valueAt(index: i32): string {
    return this.list[index].value;
  }
}
