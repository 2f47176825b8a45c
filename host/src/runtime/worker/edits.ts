import type { Header, HeaderEdit, MetadataEdit } from "@portcullis/sdk/component";

/**
 * Applying a policy's edits. Header names are compared lower-case; the gateway hands policies
 * lower-case names, and edits naming a header in another case still reach it.
 */
export function applyHeaderEdits(headers: Header[], edits: readonly HeaderEdit[]): Header[] {
  let result = headers;
  for (const edit of edits) {
    switch (edit.tag) {
      case "set": {
        const name = edit.val.name.toLowerCase();
        result = result.filter((h) => h.name !== name);
        result.push({ name, value: edit.val.value });
        break;
      }
      case "append":
        if (result === headers) result = headers.slice();
        result.push({ name: edit.val.name.toLowerCase(), value: edit.val.value });
        break;
      case "remove": {
        const name = edit.val.toLowerCase();
        result = result.filter((h) => h.name !== name);
        break;
      }
    }
  }
  return result;
}

/** Metadata as the worker keeps it during a flow: key -> JSON text, insertion-ordered. */
export function applyMetadataEdits(metadata: Map<string, string>, edits: readonly MetadataEdit[]): void {
  for (const edit of edits) {
    if (edit.tag === "set") metadata.set(edit.val.key, edit.val.value);
    else metadata.delete(edit.val);
  }
}
