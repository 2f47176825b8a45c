/**
 * Generates sdk/docs/api.md, the reference of the AssemblyScript API: every item `assembly/index.ts`
 * exports (classes, namespaces, functions, enums, constants) with each public member's signature
 * and the first sentence of its doc comment. `node sdk/dist/reference/api-reference.js` writes it;
 * `apiReference()` returns it for the drift test. A repository tool: it parses with the TypeScript
 * compiler, which the SDK does not depend on, and is left out of release tarballs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ASSEMBLY_DIR = new URL("../../assembly/", import.meta.url);
export const API_REFERENCE_PATH = "docs/api.md";

export interface ApiMember {
  signature: string;
  doc: string;
}

export interface ApiItem {
  name: string;
  /** The name in its module (re-exports may rename). */
  declared: string;
  kind: "class" | "namespace" | "function" | "enum" | "constant" | "type";
  /** Module path relative to assembly/. */
  module: string;
  signature: string;
  doc: string;
  members: ApiMember[];
}

const sources = new Map<string, ts.SourceFile>();
const GENERATED_MODULE = "bindings/generated.ts";

const pascal = (kebab: string): string => kebab.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
/** Up to the first full stop that ends a sentence (not the one in "e.g." or "i.e."). */
const firstSentence = (text: string): string => /^(.+?(?<!\be\.g|\bi\.e)[.!?])(\s|$)/.exec(text)?.[1] ?? text;

/**
 * Docs of the generated bindings' types, from the WIT's `///` comments: a type by its name (or its
 * interface's name and its own), a capability call's result class by interface and function.
 */
function witDocs(): Map<string, string> {
  const docs = new Map<string, string>();
  const text = readFileSync(new URL("../wit/policy.wit", ASSEMBLY_DIR), "utf8");
  let pending: string[] = [];
  let iface = "";
  for (const line of text.split("\n")) {
    const doc = /^\s*\/\/\/ ?(.*)$/.exec(line);
    if (doc) {
      pending.push(doc[1]!);
      continue;
    }
    const said = firstSentence(pending.join(" ").replace(/\s+/g, " ").trim());
    pending = [];
    const opened = /^\s*interface\s+([\w-]+)/.exec(line);
    if (opened) iface = opened[1]!;
    const type = /^\s*(?:record|variant|enum|flags)\s+([\w-]+)/.exec(line);
    if (type && said) {
      docs.set(pascal(type[1]!), said);
      docs.set(pascal(iface) + pascal(type[1]!), said);
    }
    const func = /^\s*([\w-]+)\s*:\s*func\b/.exec(line);
    if (func)
      docs.set(
        `${pascal(iface)}${pascal(func[1]!)}Result`,
        `What \`${iface}.${func[1]}\` returns: \`isOk\`, then \`ok\` or \`err\`.${said ? ` (${said})` : ""}`,
      );
  }
  return docs;
}

/** Generated types the WIT leaves without a `///` comment (wit/ is shared; the reference says what they are). */
const GENERATED_DOCS: Record<string, string> = {
  CryptoError: "Why a `crypto` call failed (`tag`: invalid key, algorithm mismatch, unsupported hash, ...).",
  ExpressionError: "Why an `expression` call failed: the expression is invalid, or its evaluation failed.",
  FileError: "Why `Files.read` failed: the path is not granted, or the file cannot be read.",
  GeoError: "Why `Geo.country` failed: no database configured, or an invalid address.",
  HashAlgorithm: "The hash of `Crypto.hash` and `Crypto.hmac`: SHA-1, SHA-256, SHA-384, SHA-512.",
  HttpError: "Why `Http.fetch` failed: denied host, invalid request, unreachable, timeout, ...",
  JsonSchemaViolation: "One way a document breaks a schema: the JSON Pointer of the value and the message.",
  LogLevel: "The level of a `Log.write` line.",
  MetricsLabel: "One label (name and value) of a metric sample; make them with `Metrics.label`.",
  OutboundResponse: "The response `Http.fetch` returns: status, headers and the whole body.",
  SchemaError: "Why a `json-schema` call failed: invalid schema, invalid document, or an unknown handle.",
  StoreError: "Why a `counters` or `kv` call failed: the store is unavailable, or the key or value too large.",
  RegexError: "Why a `Regex` call failed: invalid pattern or replacement, a text too large, too many patterns.",
};

/** A generated item's doc: its WIT doc, or what a tag enum is. */
function generatedDoc(name: string, docs: Map<string, string>): string {
  const known = docs.get(name) ?? GENERATED_DOCS[name];
  if (known) return known;
  if (name.endsWith("Tag")) return `The cases of \`${name.slice(0, -3)}\` (its \`tag\`).`;
  return "";
}

function sourceOf(module: string): ts.SourceFile {
  let file = sources.get(module);
  if (!file) {
    const text = readFileSync(new URL(module, ASSEMBLY_DIR), "utf8");
    file = ts.createSourceFile(module, text, ts.ScriptTarget.Latest, true);
    sources.set(module, file);
  }
  return file;
}

const resolveModule = (from: string, specifier: string): string => new URL(`${specifier}.ts`, new URL(from, "file:///a/")).pathname.slice("/a/".length);

const squash = (text: string): string => text.replace(/\s+/g, " ").trim();

/** The first sentence of the node's doc comment (`/** *\/` or `//` lines right above it). */
function docOf(node: ts.Node): string {
  const file = node.getSourceFile();
  const ranges = ts.getLeadingCommentRanges(file.text, node.getFullStart()) ?? [];
  const last = ranges.at(-1);
  if (!last) return "";
  let text: string;
  if (last.kind === ts.SyntaxKind.MultiLineCommentTrivia) {
    text = file.text
      .slice(last.pos, last.end)
      .replace(/^\/\*\*?/, "")
      .replace(/\*\/$/, "")
      .replace(/^\s*\* ?/gm, "");
  } else {
    // Consecutive `//` lines ending right above the node.
    const lines: string[] = [];
    for (let i = ranges.length - 1; i >= 0 && ranges[i]!.kind === ts.SyntaxKind.SingleLineCommentTrivia; i--) {
      lines.unshift(file.text.slice(ranges[i]!.pos + 2, ranges[i]!.end));
    }
    text = lines.join(" ");
  }
  return firstSentence(squash(text.split(/\n\s*\n/)[0] ?? "").replace(/\s@\w+.*$/, ""));
}

const hasModifier = (node: ts.Node, kind: ts.SyntaxKind): boolean =>
  (ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined)?.some((m) => m.kind === kind) ?? false;

function callSignature(node: ts.SignatureDeclarationBase, name: string): string {
  const typeParameters = node.typeParameters ? `<${node.typeParameters.map((p) => p.getText()).join(", ")}>` : "";
  const parameters = node.parameters.map((p) => squash(p.getText()).replace(/^(?:(?:public|private|protected|readonly)\s+)+/, "")).join(", ");
  return `${name}${typeParameters}(${parameters})${node.type ? `: ${squash(node.type.getText())}` : ""}`;
}

function isPublic(member: ts.ClassElement): boolean {
  const name = member.name?.getText() ?? "";
  return (
    !hasModifier(member, ts.SyntaxKind.PrivateKeyword) &&
    !hasModifier(member, ts.SyntaxKind.ProtectedKeyword) &&
    !name.startsWith("_") &&
    !name.startsWith("#") &&
    !/@internal\b/.test(member.getFullText())
  );
}

function classMembers(node: ts.ClassDeclaration): ApiMember[] {
  const members: ApiMember[] = [];
  for (const member of node.members) {
    if (!isPublic(member)) continue;
    const prefix = hasModifier(member, ts.SyntaxKind.StaticKeyword) ? "static " : "";
    let signature: string | undefined;
    if (ts.isConstructorDeclaration(member)) signature = callSignature(member, "constructor");
    else if (ts.isMethodDeclaration(member)) signature = prefix + callSignature(member, member.name.getText());
    else if (ts.isGetAccessorDeclaration(member)) signature = `${prefix}get ${member.name.getText()}${member.type ? `: ${squash(member.type.getText())}` : ""}`;
    else if (ts.isPropertyDeclaration(member)) {
      const readonly = hasModifier(member, ts.SyntaxKind.ReadonlyKeyword) ? "readonly " : "";
      signature = `${prefix}${readonly}${member.name.getText()}${member.type ? `: ${squash(member.type.getText())}` : ""}`;
    }
    // Fields declared as constructor parameters (`public x: T`).
    if (ts.isConstructorDeclaration(member)) {
      for (const parameter of member.parameters) {
        const readonly = hasModifier(parameter, ts.SyntaxKind.ReadonlyKeyword);
        if (readonly || hasModifier(parameter, ts.SyntaxKind.PublicKeyword)) {
          const type = parameter.type ? `: ${squash(parameter.type.getText())}` : "";
          members.push({ signature: `${readonly ? "readonly " : ""}${parameter.name.getText()}${type}`, doc: "As given to the constructor." });
        }
      }
    }
    if (signature) members.push({ signature, doc: docOf(member) });
  }
  return members;
}

function namespaceMembers(node: ts.ModuleDeclaration): ApiMember[] {
  const members: ApiMember[] = [];
  const body = node.body;
  if (!body || !ts.isModuleBlock(body)) return members;
  for (const statement of body.statements) {
    if (!hasModifier(statement, ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name)
      members.push({ signature: callSignature(statement, statement.name.text), doc: docOf(statement) });
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations)
        members.push({ signature: `const ${squash(d.name.getText())}${d.type ? `: ${squash(d.type.getText())}` : ""}`, doc: docOf(statement) });
    }
  }
  return members;
}

/** Where `file` imports `name` from (`import { name as local }`: matched on the local name). */
function importedFrom(file: ts.SourceFile, local: string): { specifier: string; name: string } | undefined {
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    const element = bindings.elements.find((e) => e.name.text === local);
    if (element) return { specifier: (statement.moduleSpecifier as ts.StringLiteral).text, name: element.propertyName?.text ?? local };
  }
  return undefined;
}

/** The item `name` declares (or re-exports) in `module`, under the name `shown`. */
function findItem(module: string, name: string, shown: string): ApiItem | undefined {
  const file = sourceOf(module);
  for (const statement of file.statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        if (element.name.text !== name) continue;
        const original = element.propertyName?.text ?? name;
        if (statement.moduleSpecifier) return findItem(resolveModule(module, (statement.moduleSpecifier as ts.StringLiteral).text), original, shown);
        const imported = importedFrom(file, original);
        if (imported) return findItem(resolveModule(module, imported.specifier), imported.name, shown);
      }
      continue;
    }
    const declared = (statement as ts.DeclarationStatement).name;
    const matches = declared && ts.isIdentifier(declared) && declared.text === name;
    if (ts.isVariableStatement(statement)) {
      const d = statement.declarationList.declarations.find((v) => v.name.getText() === name);
      if (d)
        return {
          name: shown,
          declared: name,
          kind: "constant",
          module,
          signature: `const ${shown}${d.type ? `: ${squash(d.type.getText())}` : ""}`,
          doc: docOf(statement),
          members: [],
        };
      continue;
    }
    if (!matches) continue;
    const doc = docOf(statement);
    if (ts.isClassDeclaration(statement)) {
      const heritage = statement.heritageClauses?.map((h) => ` ${squash(h.getText())}`).join("") ?? "";
      const typeParameters = statement.typeParameters ? `<${statement.typeParameters.map((p) => p.getText()).join(", ")}>` : "";
      return {
        name: shown,
        declared: name,
        kind: "class",
        module,
        signature: `class ${shown}${typeParameters}${heritage}`,
        doc,
        members: classMembers(statement),
      };
    }
    if (ts.isModuleDeclaration(statement))
      return { name: shown, declared: name, kind: "namespace", module, signature: `namespace ${shown}`, doc, members: namespaceMembers(statement) };
    if (ts.isFunctionDeclaration(statement))
      return { name: shown, declared: name, kind: "function", module, signature: callSignature(statement, shown), doc, members: [] };
    if (ts.isEnumDeclaration(statement)) {
      const values = statement.members.map((m) => m.name.getText()).join(", ");
      return { name: shown, declared: name, kind: "enum", module, signature: `enum ${shown} { ${values} }`, doc, members: [] };
    }
    if (ts.isTypeAliasDeclaration(statement) || ts.isInterfaceDeclaration(statement)) {
      return { name: shown, declared: name, kind: "type", module, signature: squash(statement.getText().replace(/\{[\s\S]*\}/, "{ … }")), doc, members: [] };
    }
  }
  return undefined;
}

/** Every exported name of `module` (for `export *`), in source order. */
function exportedNames(module: string): { name: string; shown: string }[] {
  const names: { name: string; shown: string }[] = [];
  for (const statement of sourceOf(module).statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) names.push({ name: element.name.text, shown: element.name.text });
    } else if (hasModifier(statement, ts.SyntaxKind.ExportKeyword)) {
      if (ts.isVariableStatement(statement))
        for (const d of statement.declarationList.declarations) names.push({ name: d.name.getText(), shown: d.name.getText() });
      else {
        const declared = (statement as ts.DeclarationStatement).name;
        if (declared && ts.isIdentifier(declared)) names.push({ name: declared.text, shown: declared.text });
      }
    }
  }
  return names;
}

/** The API as `assembly/index.ts` exports it, in its order. */
export function apiItems(): ApiItem[] {
  sources.clear();
  const docs = witDocs();
  const items: ApiItem[] = [];
  const entry = "index.ts";
  for (const statement of sourceOf(entry).statements) {
    if (!ts.isExportDeclaration(statement) || !statement.moduleSpecifier) continue;
    const module = resolveModule(entry, (statement.moduleSpecifier as ts.StringLiteral).text);
    const names =
      statement.exportClause && ts.isNamedExports(statement.exportClause)
        ? statement.exportClause.elements.map((e) => ({ name: e.propertyName?.text ?? e.name.text, shown: e.name.text }))
        : exportedNames(module);
    for (const { name, shown } of names) {
      const item = findItem(module, name, shown);
      if (!item) throw new Error(`assembly/index.ts exports '${shown}', which ${module} does not declare`);
      if (!item.doc && item.module === GENERATED_MODULE) item.doc = generatedDoc(item.declared, docs);
      items.push(item);
    }
  }
  return items;
}

const cell = (text: string): string => text.replace(/\|/g, "\\|");

/** The Markdown reference. */
export function apiReference(items = apiItems()): string {
  const out = [
    "# AssemblyScript API reference",
    "",
    "Every item the SDK's `assembly/index.ts` exports, with each public member's signature and the first sentence",
    "of its doc comment. Generated from the sources by `node sdk/dist/reference/api-reference.js`; do not edit:",
    "test/sdk/api-reference.test.ts fails when this file and the sources differ. The README explains how the",
    "pieces fit together.",
    "",
  ];
  for (const item of items) {
    out.push(`## ${item.name}`, "", `\`${item.signature}\` (${item.kind}, \`assembly/${item.module}\`)`, "");
    if (item.doc) out.push(item.doc, "");
    if (item.members.length) {
      out.push("| Member | What |", "| --- | --- |");
      for (const member of item.members) out.push(`| \`${cell(member.signature)}\` | ${cell(member.doc)} |`);
      out.push("");
    }
  }
  return out.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(new URL(`../../${API_REFERENCE_PATH}`, import.meta.url), apiReference());
  console.log(`wrote sdk/${API_REFERENCE_PATH}`);
}
