import type { Case, Field, Func, Interface, PrimitiveName, TypeDef, WitType, World } from "./wit-model.js";

const PRIMITIVES = new Set<string>(["bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "f32", "f64", "string"]);

interface Token {
  text: string;
  line: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|->|[A-Za-z%][\w-]*|[0-9]+(?:\.[0-9]+)*(?:-[\w.]+)?|[{}()<>,:;.=@/*_]/y;
  let line = 1;
  let index = 0;
  while (index < source.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(source);
    if (!match) throw new Error(`WIT: unexpected character '${source[index]}' on line ${line}`);
    const text = match[0];
    if (!/^\s|^\/\/|^\/\*/.test(text)) tokens.push({ text: text.replace(/^%/, ""), line });
    line += text.split("\n").length - 1;
    index += text.length;
  }
  return tokens;
}

/** Unresolved type syntax; names are resolved once every interface is read. */
type TypeSyntax =
  | { kind: "primitive"; name: PrimitiveName }
  | { kind: "list"; element: TypeSyntax }
  | { kind: "option"; inner: TypeSyntax }
  | { kind: "result"; ok: TypeSyntax | undefined; err: TypeSyntax | undefined }
  | { kind: "ref"; name: string; line: number };

interface RawInterface {
  name: string;
  uses: Map<string, string>;
  defs: { kind: "record" | "variant" | "enum"; name: string; members: { name: string; type?: TypeSyntax }[] }[];
  funcs: { name: string; params: { name: string; type: TypeSyntax }[]; result: TypeSyntax | undefined; since?: string }[];
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  get done(): boolean {
    return this.position >= this.tokens.length;
  }
  peek(offset = 0): string | undefined {
    return this.tokens[this.position + offset]?.text;
  }
  line(): number {
    return this.tokens[Math.min(this.position, this.tokens.length - 1)]?.line ?? 0;
  }
  next(): string {
    const token = this.tokens[this.position++];
    if (!token) throw new Error("WIT: unexpected end of input");
    return token.text;
  }
  expect(text: string): void {
    const line = this.line();
    const got = this.next();
    if (got !== text) throw new Error(`WIT: expected '${text}' but found '${got}' on line ${line}`);
  }
  accept(text: string): boolean {
    if (this.peek() !== text) return false;
    this.position++;
    return true;
  }

  type(): TypeSyntax {
    const line = this.line();
    const name = this.next();
    if (PRIMITIVES.has(name)) return { kind: "primitive", name: name as PrimitiveName };
    if (name === "list" || name === "option") {
      this.expect("<");
      const inner = this.type();
      this.expect(">");
      return name === "list" ? { kind: "list", element: inner } : { kind: "option", inner };
    }
    if (name === "result") {
      if (!this.accept("<")) return { kind: "result", ok: undefined, err: undefined };
      const ok = this.accept("_") ? undefined : this.type();
      const err = this.accept(",") ? this.type() : undefined;
      this.expect(">");
      return { kind: "result", ok, err };
    }
    if (["tuple", "flags", "resource", "future", "stream", "borrow", "own", "char", "f32"].includes(name)) {
      throw new Error(`WIT: '${name}' on line ${line} is outside the subset the SDK generator supports`);
    }
    return { kind: "ref", name, line };
  }

  /** `@since(version = x.y.z)` before an item: the version that added it (other gates are refused). */
  since(): string | undefined {
    if (!this.accept("@")) return undefined;
    const line = this.line();
    if (this.next() !== "since") throw new Error(`WIT: only @since gates are supported (line ${line})`);
    this.expect("(");
    this.expect("version");
    this.expect("=");
    const version = this.next();
    this.expect(")");
    return version;
  }

  /** `use iface.{a, b as c};` */
  use(into: Map<string, string>): void {
    const iface = this.next();
    this.expect(".");
    this.expect("{");
    do {
      const name = this.next();
      const alias = this.accept("as") ? this.next() : name;
      into.set(alias, `${iface}.${name}`);
    } while (this.accept(",") && this.peek() !== "}");
    this.expect("}");
    this.expect(";");
  }

  func(name: string): RawInterface["funcs"][number] {
    this.expect("func");
    this.expect("(");
    const params: { name: string; type: TypeSyntax }[] = [];
    while (!this.accept(")")) {
      const paramName = this.next();
      this.expect(":");
      params.push({ name: paramName, type: this.type() });
      this.accept(",");
    }
    const result = this.accept("->") ? this.type() : undefined;
    this.expect(";");
    return { name, params, result };
  }

  interfaceBody(name: string): RawInterface {
    const raw: RawInterface = { name, uses: new Map(), defs: [], funcs: [] };
    this.expect("{");
    while (!this.accept("}")) {
      const since = this.since();
      const keyword = this.next();
      if (keyword === "use") this.use(raw.uses);
      else if (keyword === "record" || keyword === "variant" || keyword === "enum") {
        const defName = this.next();
        const members: { name: string; type?: TypeSyntax }[] = [];
        this.expect("{");
        while (!this.accept("}")) {
          const member = this.next();
          if (keyword === "record") {
            this.expect(":");
            members.push({ name: member, type: this.type() });
          } else if (keyword === "variant" && this.accept("(")) {
            members.push({ name: member, type: this.type() });
            this.expect(")");
          } else members.push({ name: member });
          this.accept(",");
        }
        raw.defs.push({ kind: keyword, name: defName, members });
      } else if (this.peek() === ":") {
        this.expect(":");
        raw.funcs.push({ ...this.func(keyword), since });
      } else throw new Error(`WIT: unsupported item '${keyword}' on line ${this.line()}`);
    }
    return raw;
  }
}

/** Parses a WIT package given as one source text and returns world `worldName` resolved. */
export function parseWorld(source: string, worldName: string): World {
  const parser = new Parser(tokenize(source));
  const raws = new Map<string, RawInterface>();
  const worlds = new Map<string, { includes: string[]; imports: string[]; uses: Map<string, string>; exports: RawInterface["funcs"] }>();
  let packageName = "";
  let version = "";
  while (!parser.done) {
    const keyword = parser.next();
    if (keyword === "package") {
      packageName = `${parser.next()}${parser.next()}${parser.next()}`;
      parser.expect("@");
      version = parser.next();
      parser.expect(";");
    } else if (keyword === "interface") {
      const name = parser.next();
      raws.set(name, parser.interfaceBody(name));
    } else if (keyword === "world") {
      const name = parser.next();
      const world = { includes: [] as string[], imports: [] as string[], uses: new Map<string, string>(), exports: [] as RawInterface["funcs"] };
      parser.expect("{");
      while (!parser.accept("}")) {
        const since = parser.since();
        const item = parser.next();
        if (item === "include") world.includes.push(parser.next());
        else if (item === "import") world.imports.push(parser.next());
        else if (item === "use") {
          parser.use(world.uses);
          continue;
        } else if (item === "export") {
          const funcName = parser.next();
          parser.expect(":");
          world.exports.push({ ...parser.func(funcName), since });
          continue;
        } else throw new Error(`WIT: unsupported world item '${item}' on line ${parser.line()}`);
        parser.expect(";");
      }
      worlds.set(name, world);
    } else throw new Error(`WIT: unsupported top-level item '${keyword}' on line ${parser.line()}`);
  }

  const interfaces = new Map<string, Interface>();
  for (const raw of raws.values()) interfaces.set(raw.name, { name: raw.name, types: new Map(), funcs: [] });
  const lookup = (scope: RawInterface | undefined, uses: Map<string, string>, name: string, line: number): TypeDef => {
    const local = scope && interfaces.get(scope.name)?.types.get(name);
    if (local) return local;
    const qualified = uses.get(name);
    if (qualified) {
      const [ifaceName, typeName] = qualified.split(".") as [string, string];
      const def = interfaces.get(ifaceName)?.types.get(typeName);
      if (def) return def;
    }
    throw new Error(`WIT: unknown type '${name}' on line ${line}`);
  };
  const resolve = (syntax: TypeSyntax, scope: RawInterface | undefined, uses: Map<string, string>): WitType => {
    switch (syntax.kind) {
      case "primitive":
        return syntax;
      case "list":
        return { kind: "list", element: resolve(syntax.element, scope, uses) };
      case "option":
        return { kind: "option", inner: resolve(syntax.inner, scope, uses) };
      case "result":
        return {
          kind: "result",
          ok: syntax.ok && resolve(syntax.ok, scope, uses),
          err: syntax.err && resolve(syntax.err, scope, uses),
        };
      case "ref":
        return { kind: "named", def: lookup(scope, uses, syntax.name, syntax.line) };
    }
  };
  // Declare every type first so that members may refer to types declared later.
  for (const raw of raws.values()) {
    const iface = interfaces.get(raw.name)!;
    for (const def of raw.defs) {
      const shell: TypeDef =
        def.kind === "record"
          ? { kind: "record", name: def.name, iface: raw.name, fields: [] }
          : def.kind === "variant"
            ? { kind: "variant", name: def.name, iface: raw.name, cases: [] }
            : { kind: "enum", name: def.name, iface: raw.name, cases: def.members.map((m) => m.name) };
      iface.types.set(def.name, shell);
    }
  }
  for (const raw of raws.values()) {
    const iface = interfaces.get(raw.name)!;
    for (const def of raw.defs) {
      const typeDef = iface.types.get(def.name)!;
      if (typeDef.kind === "record") {
        typeDef.fields.push(...def.members.map((m): Field => ({ name: m.name, type: resolve(m.type!, raw, raw.uses) })));
      } else if (typeDef.kind === "variant") {
        typeDef.cases.push(...def.members.map((m): Case => ({ name: m.name, type: m.type && resolve(m.type, raw, raw.uses) })));
      }
    }
    iface.funcs = raw.funcs.map((f) => ({
      name: f.name,
      params: f.params.map((p) => ({ name: p.name, type: resolve(p.type, raw, raw.uses) })),
      result: f.result && resolve(f.result, raw, raw.uses),
      since: f.since,
    }));
  }

  const world = worlds.get(worldName);
  if (!world) throw new Error(`WIT: no world named '${worldName}'`);
  const importNames: string[] = [];
  const collect = (w: typeof world): void => {
    for (const included of w.includes) {
      const inner = worlds.get(included);
      if (!inner) throw new Error(`WIT: world '${included}' is not defined`);
      collect(inner);
    }
    importNames.push(...w.imports);
  };
  collect(world);
  const imports = importNames.map((name) => {
    const iface = interfaces.get(name);
    if (!iface) throw new Error(`WIT: imported interface '${name}' is not defined`);
    return iface;
  });
  const exports: Func[] = world.exports.map((f) => ({
    name: f.name,
    params: f.params.map((p) => ({ name: p.name, type: resolve(p.type, undefined, world.uses) })),
    result: f.result && resolve(f.result, undefined, world.uses),
    since: f.since,
  }));
  return { packageName, version, name: worldName, interfaces, imports, exports };
}
