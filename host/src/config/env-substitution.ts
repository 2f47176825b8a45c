import { isPair, isScalar, isSeq, parse, visit, type Document } from "yaml";

const PLACEHOLDER = /\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface MissingVariable {
  name: string;
  /** Where the placeholder is, as a YAML path. */
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
          missing.push({ name, path: pathOf([...ancestors, node]) });
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

/** The YAML path of the last node in `ancestors` (visit's ancestors plus the node itself). */
function pathOf(ancestors: readonly unknown[]): Array<string | number> {
  const path: Array<string | number> = [];
  ancestors.forEach((node, i) => {
    if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value));
    else if (isSeq(node)) path.push(node.items.indexOf(ancestors[i + 1] as never));
  });
  return path;
}
