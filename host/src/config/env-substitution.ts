import { isScalar, parse, visit, type Document } from "yaml";

const PLACEHOLDER = /\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface MissingVariable {
  name: string;
  /** Offset of the scalar holding the placeholder, for line:column. */
  offset: number;
  path: ReadonlyArray<string | number>;
}

/**
 * Replaces `${env.NAME}` and `${env.NAME:-default}` in the document's scalar values (never in keys), in place.
 * A plain scalar that is exactly one placeholder takes the type its value reads as (`port: ${env.PORT}` is a
 * number); anywhere else the value is spliced into the string. Returns the variables that were missing.
 */
export function substituteEnv(doc: Document, env: NodeJS.ProcessEnv): MissingVariable[] {
  const missing: MissingVariable[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === "key" || typeof node.value !== "string" || !node.value.includes("${env.")) return;
      const source = node.value;
      const replaced = source.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
        const value = env[name] ?? fallback;
        if (value === undefined) {
          missing.push({ name, offset: node.range?.[0] ?? 0, path: pathOf([...ancestors, node]) });
          return "";
        }
        return value;
      });
      const wholePlaceholder = source.match(PLACEHOLDER)?.[0] === source;
      node.value = wholePlaceholder && node.type === "PLAIN" ? typedValue(replaced) : replaced;
    },
  });
  return missing;
}

function typedValue(text: string): unknown {
  const value: unknown = parse(text);
  return typeof value === "number" || typeof value === "boolean" ? value : text;
}

function pathOf(ancestors: readonly unknown[]): Array<string | number> {
  const path: Array<string | number> = [];
  for (let i = 0; i < ancestors.length; i++) {
    const node = ancestors[i] as { items?: unknown[]; key?: unknown };
    const child = ancestors[i + 1];
    if (node.items && child !== undefined) {
      const index = node.items.indexOf(child);
      if (index >= 0 && !(child as { key?: unknown }).key) path.push(index);
    }
    if (node.key !== undefined && isScalar(node.key)) path.push(String(node.key.value));
  }
  return path;
}
