// Edits of a JSON body by path: remove, then rename, then set, each in the order configured.
import { Config, Expression, JsonPath, JsonValue } from "@portcullis/sdk";

class Rename {
  constructor(public path: JsonPath, public to: string) {}
}

class Assignment {
  /** `expression` is a compiled CEL handle, or -1 for the literal (JSON text, parsed afresh per request). */
  constructor(public path: JsonPath, public literal: string, public expression: i32) {}
}

export class BodyEdits {
  remove: Array<JsonPath> = [];
  rename: Array<Rename> = [];
  set: Array<Assignment> = [];

  get isEmpty(): bool {
    return this.remove.length == 0 && this.rename.length == 0 && this.set.length == 0;
  }

  /** Reads `{ remove, rename, set }` (absent: no edits); problems go to `config`. */
  static read(config: Config): BodyEdits {
    const edits = new BodyEdits();
    const remove = config.optionalStringList("remove");
    for (let i = 0; i < remove.length; i++) {
      const path = parsePath(config, "remove/" + i.toString(), remove[i]);
      if (path !== null) edits.remove.push(path);
    }
    const renames = items(config, "rename");
    for (let i = 0; i < renames.length; i++) {
      const item = renames[i];
      const path = parsePath(item, "path", item.requireString("path"));
      const to = item.requireString("to");
      if (path === null || !item.ok) continue;
      if (path.lastName === null) item.invalid("path", "must end with a member name to rename (not an index or '*')");
      else edits.rename.push(new Rename(path, to));
    }
    const sets = items(config, "set");
    for (let i = 0; i < sets.length; i++) {
      const item = sets[i];
      const path = parsePath(item, "path", item.requireString("path"));
      if (path === null) continue;
      if (item.has("expression")) {
        const compiled = Expression.compile(item.requireString("expression"));
        if (!compiled.isOk) item.invalid("expression", compiled.err!.invalidValue!);
        else edits.set.push(new Assignment(path, "", <i32>compiled.ok));
      } else {
        edits.set.push(new Assignment(path, item.json.get("value")!.toString(), -1));
      }
    }
    return edits;
  }

  /**
   * Applies the edits to `document`. A `set` whose expression fails to evaluate (e.g. a missing
   * metadata key) is skipped; a `null` result sets JSON null.
   */
  apply(document: JsonValue): void {
    for (let i = 0; i < this.remove.length; i++) this.remove[i].remove(document);
    for (let i = 0; i < this.rename.length; i++) this.rename[i].path.rename(document, this.rename[i].to);
    for (let i = 0; i < this.set.length; i++) {
      const assignment = this.set[i];
      const value = assignment.expression < 0 ? JsonValue.parse(assignment.literal) : evaluate(assignment.expression);
      if (value !== null) assignment.path.set(document, value);
    }
  }
}

/** The items of a list of objects at `key`, each as a Config whose problems name its index. */
function items(config: Config, key: string): Array<Config> {
  const out = new Array<Config>();
  const list = config.json.get(key);
  if (list === null) return out;
  if (!list.isArray) {
    config.invalid(key, "must be a list");
    return out;
  }
  for (let i = 0; i < list.length; i++) {
    const item = list.at(i);
    if (!item.isObject) config.invalidAt(key + "/" + i.toString(), "must be an object");
    else out.push(new Config(item, config.path + "/" + key + "/" + i.toString(), config.problem));
  }
  return out;
}

function parsePath(config: Config, pointer: string, text: string): JsonPath | null {
  if (!config.ok) return null;
  const path = JsonPath.parse(text);
  if (path === null) config.invalidAt(pointer, JsonPath.lastError);
  else if (path.isRoot) config.invalidAt(pointer, "must name a member or an item, not the whole document ($)");
  else return path;
  return null;
}

function evaluate(handle: i32): JsonValue | null {
  const result = Expression.evaluate(<u32>handle);
  if (!result.isOk) return null;
  return JsonValue.parse(result.ok!);
}
