// Path rewriting: a prefix replacement, a segment template (`/users/{id}` -> `/v2/people/{id}`), a
// regular expression with captures (the host's RE2 `regex` capability), or a CEL expression computing
// the new path. A path that does not match is left as it is.
import { Config, Expression, JsonValue, Regex, regexErrorMessage } from "@portcullis/sdk";

enum Kind {
  None,
  Prefix,
  Template,
  Regex,
  Expression,
}

/** The outcome of a rewrite: a new path, no change (null), or an error message for a bad expression result. */
export class Rewritten {
  constructor(public path: string | null, public error: string) {}
}

export class PathRewrite {
  kind: Kind = Kind.None;
  from: string = "";
  to: string = "";
  /** Template segments: literal text, `{name}` (one segment) or `{name*}` (the rest, last only). */
  pattern: Array<string> = [];
  expression: i32 = -1;
  regex: Regex | null = null;

  static read(config: Config): PathRewrite {
    const rewrite = new PathRewrite();
    if (config.has("expression")) {
      const compiled = Expression.compile(config.requireString("expression"));
      if (!compiled.isOk) config.invalid("expression", compiled.err!.invalidValue!);
      rewrite.kind = Kind.Expression;
      rewrite.expression = compiled.isOk ? <i32>compiled.ok : -1;
      return rewrite;
    }
    rewrite.to = config.requireString("to");
    if (config.has("prefix")) {
      rewrite.kind = Kind.Prefix;
      rewrite.from = config.requireString("prefix");
      return rewrite;
    }
    if (config.has("regex")) {
      rewrite.kind = Kind.Regex;
      const compiled = Regex.compile(config.requireString("regex"));
      if (!compiled.isOk) {
        config.invalid("regex", compiled.error);
        return rewrite;
      }
      rewrite.regex = compiled.regex;
      const problem = compiled.regex!.checkReplacement(rewrite.to);
      if (problem !== null) config.invalid("to", problem!);
      return rewrite;
    }
    if (!config.has("template")) return rewrite;
    rewrite.kind = Kind.Template;
    rewrite.from = config.requireString("template");
    rewrite.pattern = rewrite.from.split("/");
    checkTemplate(config, rewrite.pattern, rewrite.to);
    return rewrite;
  }

  apply(path: string): Rewritten {
    if (this.kind == Kind.Prefix) return new Rewritten(this.replacePrefix(path), "");
    if (this.kind == Kind.Template) return new Rewritten(this.fillTemplate(path), "");
    if (this.kind == Kind.Regex) return this.replaceMatches(path);
    if (this.kind == Kind.Expression) return evaluatePath(this.expression);
    return new Rewritten(null, "");
  }

  /** `from` matches whole segments: `/api` matches `/api` and `/api/x`, not `/apis`. */
  private replacePrefix(path: string): string | null {
    const from = trimSlash(this.from);
    if (!path.startsWith(from)) return null;
    if (path.length > from.length && path.charCodeAt(from.length) != 0x2f) return null;
    const result = trimSlash(this.to) + path.substring(from.length);
    return result == "" ? "/" : result;
  }

  /** Every match is replaced (anchor with `^...$` to rewrite the whole path); no match leaves it. */
  private replaceMatches(path: string): Rewritten {
    const regex = this.regex!;
    const matched = regex.test(path);
    if (!matched.isOk) return new Rewritten(null, "the path regex failed: " + regexErrorMessage(matched.error!));
    if (!matched.value) return new Rewritten(null, "");
    const replaced = regex.replaceAll(path, this.to);
    if (!replaced.isOk) return new Rewritten(null, "the path regex failed: " + regexErrorMessage(replaced.error!));
    return checkedPath(replaced.value, "the regex rewrite");
  }

  private fillTemplate(path: string): string | null {
    const segments = path.split("/");
    const names = new Array<string>();
    const values = new Array<string>();
    const pattern = this.pattern;
    for (let i = 0; i < pattern.length; i++) {
      const part = pattern[i];
      if (isPlaceholder(part) && part.endsWith("*}")) {
        names.push(part.substring(1, part.length - 2));
        values.push(i < segments.length ? segments.slice(i).join("/") : "");
        return fill(this.to, names, values);
      }
      if (i >= segments.length) return null;
      if (isPlaceholder(part)) {
        if (segments[i] == "") return null;
        names.push(part.substring(1, part.length - 1));
        values.push(segments[i]);
      } else if (part != segments[i]) {
        return null;
      }
    }
    return segments.length == pattern.length ? fill(this.to, names, values) : null;
  }
}

function trimSlash(path: string): string {
  return path.endsWith("/") ? path.substring(0, path.length - 1) : path;
}

function isPlaceholder(part: string): bool {
  return part.startsWith("{") && part.endsWith("}");
}

/** Names are letters, digits and `_`; unique; `{name*}` only last; `to` uses only names of the template. */
function checkTemplate(config: Config, pattern: Array<string>, to: string): void {
  const names = new Array<string>();
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i];
    if (part.indexOf("{") < 0 && part.indexOf("}") < 0) continue;
    const rest = isPlaceholder(part) && part.endsWith("*}");
    const name = isPlaceholder(part) ? part.substring(1, part.length - (rest ? 2 : 1)) : "";
    if (!isName(name)) return config.invalid("template", `has an invalid placeholder "${part}" (a whole segment {name} or {name*})`);
    if (names.includes(name)) return config.invalid("template", `uses {${name}} twice`);
    if (rest && i != pattern.length - 1) return config.invalid("template", `may have {${name}*} only as its last segment`);
    names.push(name);
  }
  let open = to.indexOf("{");
  while (open >= 0) {
    const close = to.indexOf("}", open);
    let name = close < 0 ? "" : to.substring(open + 1, close);
    if (name.endsWith("*")) name = name.substring(0, name.length - 1);
    if (!names.includes(name)) return config.invalid("to", `uses a placeholder the template does not define: "${to.substring(open, close < 0 ? to.length : close + 1)}"`);
    open = to.indexOf("{", close);
  }
}

function isName(name: string): bool {
  if (name.length == 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** Replaces `{name}` and `{name*}` in `to` with the captured segments (still percent-encoded, as received). */
function fill(to: string, names: Array<string>, values: Array<string>): string {
  const out = new Array<string>();
  let start = 0;
  let open = to.indexOf("{");
  while (open >= 0) {
    const close = to.indexOf("}", open);
    let name = to.substring(open + 1, close);
    if (name.endsWith("*")) name = name.substring(0, name.length - 1);
    out.push(to.substring(start, open));
    out.push(values[names.indexOf(name)]);
    start = close + 1;
    open = to.indexOf("{", start);
  }
  out.push(to.substring(start));
  return out.join("");
}

/** The expression must give a string that `checkedPath` accepts. */
function evaluatePath(handle: i32): Rewritten {
  const result = Expression.evaluate(<u32>handle);
  if (!result.isOk) return new Rewritten(null, "the path expression failed to evaluate");
  const json = JsonValue.parse(result.ok!);
  if (json === null || !json.isString) return new Rewritten(null, "the path expression did not give a string");
  return checkedPath(json.stringValue, "the path expression");
}

/** A computed path must start with `/` and hold visible ASCII without `?` or `#`. */
function checkedPath(path: string, source: string): Rewritten {
  if (!path.startsWith("/")) return new Rewritten(null, source + " gave a path that does not start with '/'");
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x3f || c == 0x23) {
      return new Rewritten(null, source + " gave a character that needs percent-encoding, '?' or '#'");
    }
  }
  return new Rewritten(path, "");
}
