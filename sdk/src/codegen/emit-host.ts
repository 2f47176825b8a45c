/**
 * Emits the JavaScript host side of the canonical ABI for a world: functions
 * that lift guest memory into the plain objects of component/types.ts and
 * lower them back, the import object built from a capabilities object, and
 * the export wrappers. Straight-line code per type, no interpretation per call.
 */
import {
  alignment,
  casesOf,
  coreContract,
  CORE_INITIALIZE,
  CORE_MEMORY,
  CORE_REALLOC,
  fieldOffsets,
  flatten,
  isUniformFlatVariant,
  payloadOffset,
  size,
  type CoreFunc,
} from "./abi.js";
import type { TypeDef, WitType, World } from "./wit-model.js";
import { camel, pascal, structuralKey } from "./names.js";

/** types.ts names that differ from the WIT name in PascalCase. */
const TS_NAMES: Record<string, string> = {
  "types.request": "PolicyRequest",
  "types.response": "PolicyResponse",
  "log.level": "LogLevel",
  "log.field": "Label",
  "metrics.label": "Label",
};

/**
 * Records the host lowers many times with the same value (each policy of a chain gets the same
 * head): lowered once into an image (component/record-image.ts) that each call copies.
 */
const IMAGED_RECORDS: ReadonlySet<string> = new Set(["types.request-head", "types.response-head"]);

function tsName(def: TypeDef): string {
  return TS_NAMES[`${def.iface}.${def.name}`] ?? pascal(def.name);
}

function typeKey(type: WitType): string {
  return structuralKey(type, (def) => `${pascal(def.iface)}${pascal(def.name)}`);
}

function tsType(type: WitType): string {
  switch (type.kind) {
    case "primitive":
      if (type.name === "string") return "string";
      if (type.name === "bool") return "boolean";
      return type.name === "u64" || type.name === "s64" ? "bigint" : "number";
    case "list": {
      if (type.element.kind === "primitive" && type.element.name === "u8") return "Uint8Array";
      const element = tsType(type.element);
      return type.element.kind === "option" ? `(${element})[]` : `${element}[]`;
    }
    case "option":
      return `${tsType(type.inner)} | undefined`;
    case "result":
      return `Result<${type.ok ? tsType(type.ok) : "undefined"}, ${type.err ? tsType(type.err) : "undefined"}>`;
    case "named":
      return tsName(type.def);
  }
}

const GET: Record<string, string> = {
  u8: "getUint8",
  s8: "getInt8",
  u16: "getUint16",
  s16: "getInt16",
  u32: "getUint32",
  s32: "getInt32",
  u64: "getBigUint64",
  s64: "getBigInt64",
  f32: "getFloat32",
  f64: "getFloat64",
};
const DISC_GET = { 1: "getUint8", 2: "getUint16", 4: "getUint32" } as Record<number, string>;
const DISC_SET = { 1: "setUint8", 2: "setUint16", 4: "setUint32" } as Record<number, string>;
const isBytes = (type: WitType): boolean => type.kind === "list" && type.element.kind === "primitive" && type.element.name === "u8";
const discSize = (count: number): number => (count <= 256 ? 1 : count <= 65536 ? 2 : 4);

class HostEmitter {
  private readonly helpers = new Map<string, string>();
  readonly usedTypes = new Set<string>(["Result"]);

  private helper(name: string, build: () => string): string {
    if (!this.helpers.has(name)) {
      this.helpers.set(name, "");
      this.helpers.set(name, build());
    }
    return name;
  }

  helperDecls(): string[] {
    return [...this.helpers.values()];
  }

  use(type: WitType): string {
    const name = tsType(type);
    for (const match of name.matchAll(/\b[A-Z]\w*/g)) if (match[0] !== "Uint8Array") this.usedTypes.add(match[0]);
    return name;
  }

  private enumTables(def: TypeDef & { kind: "enum" }): { names: string; index: string } {
    const names = `${typeKey({ kind: "named", def })}Names`;
    this.use({ kind: "named", def });
    this.helper(names, () => `export const ${names}: readonly ${tsName(def)}[] = ${JSON.stringify(def.cases)};`);
    const index = `${names.replace(/Names$/, "Index")}`;
    this.helper(
      index,
      () =>
        `export const ${index}: Record<string, number> = Object.assign(Object.create(null), ${JSON.stringify(Object.fromEntries(def.cases.map((c, i) => [c, i])))});`,
    );
    return { names, index };
  }

  /** Expression reading `type` at `at` from DataView `dv` of guest memory `m`. */
  lift(type: WitType, at: string): string {
    if (type.kind === "primitive") {
      if (type.name === "bool") return `dv.getUint8(${at}) !== 0`;
      if (type.name === "string") return `m.readString(dv.getUint32(${at}, true), dv.getUint32(${at} + 4, true))`;
      return `dv.${GET[type.name]}(${at}, true)`;
    }
    if (type.kind === "list") return `${this.liftList(type)}(m, dv.getUint32(${at}, true), dv.getUint32(${at} + 4, true))`;
    if (type.kind === "named" && type.def.kind === "enum") {
      const { names } = this.enumTables(type.def);
      return `liftEnum(${names}, dv.${DISC_GET[discSize(type.def.cases.length)]}(${at}))`;
    }
    const name = this.helper(`lift${typeKey(type)}`, () => withoutUnusedMemory(this.liftFunction(`lift${typeKey(type)}`, type)));
    return `${name}(m, dv, ${at})`;
  }

  liftList(type: WitType & { kind: "list" }): string {
    if (isBytes(type)) return "liftBytes";
    const name = `lift${typeKey(type)}`;
    return this.helper(name, () => {
      const stride = size(type.element);
      return (
        `function ${name}(m: GuestMemory, base: number, length: number): ${this.use(type)} {\n` +
        `  const dv = m.view();\n  const out: ${this.use(type)} = new Array(length);\n` +
        `  for (let i = 0; i < length; i++) out[i] = ${this.lift(type.element, `base + i * ${stride}`)};\n  return out;\n}`
      );
    });
  }

  private liftFunction(name: string, type: WitType): string {
    const returnType = this.use(type);
    const signature = `function ${name}(m: GuestMemory, dv: DataView, p: number): ${returnType}`;
    if (type.kind === "named" && type.def.kind === "record") {
      const offsets = fieldOffsets(type);
      const fields = type.def.fields.map((f, i) => `    ${camel(f.name)}: ${this.lift(f.type, `p + ${offsets[i]}`)},`);
      return `${signature} {\n  return {\n${fields.join("\n")}\n  };\n}`;
    }
    const cases = casesOf(type)!;
    const disc = `dv.${DISC_GET[discSize(cases.length)]}(p)`;
    const at = `p + ${payloadOffset(type)}`;
    if (type.kind === "option") return `${signature} {\n  return ${disc} === 0 ? undefined : ${this.lift(type.inner, at)};\n}`;
    const arms = cases.map((c, i) => {
      const tag = type.kind === "result" ? (i === 0 ? "ok" : "err") : c.name;
      const val = c.type ? this.lift(c.type, at) : type.kind === "result" ? "undefined" : undefined;
      return `    case ${i}: return { tag: "${tag}"${val === undefined ? "" : `, val: ${val}`} };`;
    });
    return `${signature} {\n  switch (${disc}) {\n${arms.join("\n")}\n    default: throw invalidCase("${typeKey(type)}");\n  }\n}`;
  }

  /** Statements storing `value` of `type` at `at` in guest memory `m`, allocating through the guest. */
  lower(type: WitType, value: string, at: string): string {
    if (type.kind === "primitive") {
      if (type.name === "string") return `m.storeString(${at}, ${value});`;
      if (type.name === "bool") return `m.view().setUint8(${at}, ${value} ? 1 : 0);`;
      return `m.view().${GET[type.name]!.replace("get", "set")}(${at}, ${value}, true);`;
    }
    if (isBytes(type)) return `m.storeBytes(${at}, ${value});`;
    if (type.kind === "named" && type.def.kind === "enum") {
      const { index } = this.enumTables(type.def);
      return `m.view().${DISC_SET[discSize(type.def.cases.length)]}(${at}, lowerEnum(${index}, ${value}));`;
    }
    const name = `lower${typeKey(type)}`;
    this.helper(name, () => this.lowerFunction(name, type));
    return `${name}(m, ${value}, ${at});`;
  }

  private lowerFunction(name: string, type: WitType): string {
    const body: string[] = [];
    if (type.kind === "named" && type.def.kind === "record" && IMAGED_RECORDS.has(`${type.def.iface}.${type.def.name}`)) {
      const images = this.helper(`${typeKey(type)}Images`, () => {
        const visit = this.imageVisitor(type);
        return `const ${typeKey(type)}Images = new ImageCache<${this.use(type)}>(${size(type)}, ${visit});`;
      });
      body.push(`m.storeImage(p, ${images}.of(v));`);
    } else if (type.kind === "list") {
      const stride = size(type.element);
      body.push(`const length = v.length;`, `const base = m.allocate(length * ${stride}, ${alignment(type.element)});`);
      body.push(`for (let i = 0; i < length; i++) {\n    const e = v[i]!;\n    ${this.lower(type.element, "e", `base + i * ${stride}`)}\n  }`);
      body.push(`const dv = m.view();`, `dv.setUint32(p, base, true);`, `dv.setUint32(p + 4, length, true);`);
    } else if (type.kind === "named" && type.def.kind === "record") {
      const offsets = fieldOffsets(type);
      body.push(...type.def.fields.map((f, i) => this.lower(f.type, `v.${camel(f.name)}`, `p + ${offsets[i]}`)));
    } else {
      const cases = casesOf(type)!;
      const set = DISC_SET[discSize(cases.length)];
      const at = `p + ${payloadOffset(type)}`;
      if (type.kind === "option") {
        body.push(`if (v === undefined) {\n    m.view().${set}(p, 0);\n    return;\n  }`);
        body.push(`m.view().${set}(p, 1);`, this.lower(type.inner, "v", at));
      } else {
        const arms = cases.map((c, i) => {
          const tag = type.kind === "result" ? (i === 0 ? "ok" : "err") : c.name;
          const payload = c.type ? `\n      ${this.lower(c.type, "v.val", at)}` : "";
          return `    case "${tag}":\n      m.view().${set}(p, ${i});${payload}\n      return;`;
        });
        body.push(`switch (v.tag) {\n${arms.join("\n")}\n    default: throw invalidCase("${typeKey(type)}");\n  }`);
      }
    }
    return `function ${name}(m: GuestMemory, v: ${this.use(type)}, p: number): void {\n  ${body.join("\n  ")}\n}`;
  }

  /** Statements walking `value` of `type` at image offset `at` through ImageSink `w` (record-image.ts). */
  image(type: WitType, value: string, at: string): string {
    if (type.kind === "primitive" && type.name === "string") return `w.string(${at}, ${value});`;
    if (type.kind === "primitive" && (type.name === "u16" || type.name === "u32")) return `w.${type.name}(${at}, ${value});`;
    if ((type.kind === "list" && !isBytes(type)) || (type.kind === "named" && type.def.kind === "record"))
      return `${this.imageVisitor(type)}(w, ${value}, ${at});`;
    throw new Error(`codegen: ${typeKey(type)} cannot be lowered as an image`);
  }

  private imageVisitor(type: WitType & ({ kind: "list" } | { kind: "named" })): string {
    const name = `image${typeKey(type)}`;
    return this.helper(name, () => {
      const body: string[] = [];
      if (type.kind === "list") {
        const stride = size(type.element);
        body.push(`const length = v.length;`, `const base = w.list(p, length, ${stride}, ${alignment(type.element)});`);
        body.push(`for (let i = 0; i < length; i++) {\n    ${this.image(type.element, "v[i]!", `base + i * ${stride}`)}\n  }`);
      } else if (type.def.kind === "record") {
        const offsets = fieldOffsets(type);
        body.push(...type.def.fields.map((f, i) => this.image(f.type, `v.${camel(f.name)}`, `p + ${offsets[i]}`)));
      }
      return `function ${name}(w: ImageSink, v: ${this.use(type)}, p = 0): void {\n  ${body.join("\n  ")}\n}`;
    });
  }

  /** Expression lifting a flat value from argument names (import params). */
  liftFlat(type: WitType, names: string[]): string {
    if (type.kind === "primitive") {
      const a = names.shift()!;
      switch (type.name) {
        case "string":
          return `m.readString(${a}, ${names.shift()})`;
        case "bool":
          return `${a} !== 0`;
        case "u32":
          return `${a} >>> 0`;
        case "u16":
          return `${a} & 0xffff`;
        case "u8":
          return `${a} & 0xff`;
        case "u64":
          return `BigInt.asUintN(64, ${a})`;
        default:
          return a;
      }
    }
    if (type.kind === "list") return `${this.liftList(type)}(m, ${names.shift()}, ${names.shift()})`;
    if (type.kind === "named" && type.def.kind === "enum") return `liftEnum(${this.enumTables(type.def).names}, ${names.shift()})`;
    if (type.kind === "named" && type.def.kind === "record") {
      return `{ ${type.def.fields.map((f) => `${camel(f.name)}: ${this.liftFlat(f.type, names)}`).join(", ")} }`;
    }
    if (type.kind === "option" && isUniformFlatVariant(type)) {
      const disc = names.shift()!;
      return `${disc} === 0 ? undefined : ${this.liftFlat(type.inner, names)}`;
    }
    throw new Error(`codegen: flat lifting of ${typeKey(type)} is not supported`);
  }

  /** Expressions lowering `value` to flat core values (export params), with statements to run first. */
  lowerFlat(type: WitType, value: string, prelude: string[]): string[] {
    if (type.kind === "primitive" && type.name === "string") {
      const local = `flat${prelude.length}`;
      prelude.push(`const ${local} = ${value};`);
      return [`m.writeString(${local})`, `${local}.length`];
    }
    if (type.kind === "primitive" && type.name === "bool") return [`${value} ? 1 : 0`];
    if (type.kind === "primitive") return [value];
    throw new Error(`codegen: flat lowering of ${typeKey(type)} is not supported`);
  }
}

function importFunction(emitter: HostEmitter, core: CoreFunc): string {
  const { func } = core;
  const names = core.signature.params.map((_, i) => `a${i}`);
  const argNames = [...names];
  const args = func.params.map((p) => emitter.liftFlat(p.type, argNames));
  const params = core.signature.params.map((t, i) => `a${i}: ${t === "i64" ? "bigint" : "number"}`);
  const call = `host.${camel(func.name)}(${args.join(", ")})`;
  let body: string;
  if (core.resultInMemory) body = `const result = ${call};\n      ${emitter.lower(func.result!, "result", argNames[0]!)}`;
  else if (!func.result) body = `${call};`;
  else if (func.result.kind === "primitive" && func.result.name === "bool") body = `return ${call} ? 1 : 0;`;
  else if (flatten(func.result)[0] === "i64") body = `return BigInt.asIntN(64, ${call});`;
  else body = `return ${call};`;
  return `    "${core.name}": (${params.join(", ")}) => {\n      ${body}\n    },`;
}

function exportMethod(emitter: HostEmitter, core: CoreFunc): string {
  const { func } = core;
  const params = func.params.map((p) => `${camel(p.name)}: ${emitter.use(p.type)}`);
  const resultType = func.result ? emitter.use(func.result) : "void";
  const prelude: string[] = [];
  let args: string[];
  if (core.paramsInMemory) {
    const record: WitType = { kind: "named", def: { kind: "record", name: `${func.name}-params`, iface: "world", fields: func.params } };
    prelude.push(`const params = m.allocate(${size(record)}, ${alignment(record)});`);
    const offsets = fieldOffsets(record as WitType & { kind: "named" });
    prelude.push(...func.params.map((p, i) => emitter.lower(p.type, camel(p.name), `params + ${offsets[i]}`)));
    args = ["params"];
  } else args = func.params.flatMap((p) => emitter.lowerFlat(p.type, camel(p.name), prelude));
  // An export added after the first release is optional in CoreExports; the wrapper exists only when it does.
  const bang = func.since ? "!" : "";
  const call = `core["${core.name}"]${bang}(${args.join(", ")})`;
  const lines = [...prelude];
  if (core.resultInMemory) {
    lines.push(`const ret = ${call} as number;`, `const dv = m.view();`, `const result = ${emitter.lift(func.result!, "ret")};`);
    lines.push(`core["${core.postReturn}"]${bang}(ret);`, `return result;`);
  } else {
    lines.push(`const result = ${call};`, `core["${core.postReturn}"]${bang}(result);`);
    if (func.result) lines.push(`return result as ${resultType};`);
  }
  if (!func.since) return `    ${camel(func.name)}(${params.join(", ")}): ${resultType} {\n      ${lines.join("\n      ")}\n    },`;
  // Added after the first release: a component built before lacks it, and the method is undefined.
  const method = `(${params.join(", ")}): ${resultType} => {\n        ${lines.join("\n        ")}\n      }`;
  return `    ${camel(func.name)}:\n      core["${core.name}"] === undefined\n        ? undefined\n        : ${method.replace(/\n/g, "\n  ")},`;
}

export function emitHost(world: World): string {
  const emitter = new HostEmitter();
  const contract = coreContract(world);
  const imports = world.imports.map((iface) => {
    const cores = contract.imports.filter((c) => c.iface === iface);
    const module = cores[0]?.module;
    const fns = cores.map((core) => importFunction(emitter, core));
    return `  if (modules.has("${module}")) {\n    const host = need(capabilities, "${camel(iface.name)}");\n    imports["${module}"] = {\n${fns.join("\n")}\n    };\n  }`;
  });
  const exportMethods = contract.exports.map((core) => exportMethod(emitter, core));
  const contractTable = {
    memory: CORE_MEMORY,
    realloc: CORE_REALLOC,
    initialize: CORE_INITIALIZE,
    /** Exports a component built against an older version of the world may lack. */
    optional: contract.exports.filter((c) => c.func.since).flatMap((c) => [c.name, c.postReturn!]),
    exports: Object.fromEntries(
      contract.exports.flatMap((c) => [
        [c.name, c.signature],
        [c.postReturn!, { params: c.signature.results, results: [] }],
      ]),
    ),
    imports: Object.fromEntries(
      world.imports.map((iface) => {
        const cores = contract.imports.filter((c) => c.iface === iface);
        return [cores[0]!.module, { capability: iface.name, functions: Object.fromEntries(cores.map((c) => [c.name, c.signature])) }];
      }),
    ),
  };
  const jsCore = (t: string): string => (t === "i64" ? "bigint" : "number");
  const coreExports = Object.entries(contractTable.exports).map(
    ([name, sig]) =>
      `  ${JSON.stringify(name)}${contractTable.optional.includes(name) ? "?" : ""}(${sig.params.map((t, i) => `a${i}: ${jsCore(t)}`).join(", ")}): ${sig.results[0] ? jsCore(sig.results[0]) : "void"};`,
  );
  const helpers = emitter.helperDecls();
  const types = [...new Set([...emitter.usedTypes, "Capabilities", "PolicyInstance"])].sort();
  return [
    "// Generated by @portcullis/sdk codegen from the WIT world. Do not edit; run `npm run codegen -w sdk`.",
    "/* eslint-disable */",
    `import type { WasmImports } from "./wasm-api.js";`,
    `import { GuestMemory, invalidCase, liftBytes, liftEnum, lowerEnum, need } from "./guest-memory.js";`,
    `import { ImageCache, type ImageSink } from "./record-image.js";`,
    `import type { ${types.join(", ")} } from "./types.js";`,
    "",
    "/** Core imports and exports of the world, as wit-component names them (the contract a policy module must meet). */",
    `export const CORE_CONTRACT = ${JSON.stringify(contractTable, null, 2)} as const;`,
    "",
    "/** The exported functions of a policy's core module. */",
    `export interface CoreExports {\n${coreExports.join("\n")}\n}`,
    "",
    helpers.join("\n\n"),
    "",
    "/** The import object for a core module that imports `modules`, served by `capabilities`. */",
    "export function bindImports(m: GuestMemory, capabilities: Partial<Capabilities>, modules: ReadonlySet<string>): WasmImports {",
    "  const imports: WasmImports = {};",
    imports.join("\n"),
    "  return imports;",
    "}",
    "",
    "/** The world's exports over an instantiated core module. */",
    `export function bindExports(m: GuestMemory, core: CoreExports): Omit<PolicyInstance, "memoryBytes"> {`,
    "  return {",
    exportMethods.join("\n"),
    "  };",
    "}",
    "",
  ].join("\n");
}

/** A helper that never reads guest memory names its parameter `_m` (the project compiles with noUnusedParameters). */
function withoutUnusedMemory(text: string): string {
  const body = text.slice(text.indexOf("{"));
  return /\bm\b/.test(body) ? text : text.replace("(m: GuestMemory", "(_m: GuestMemory");
}
