/**
 * `logging.accessLog.metadata`: per-request metadata copied into the access log. An entry is a metadata
 * key (`consumer`) or a key and a member path into its JSON value (`trace.traceId`), read like CEL's
 * `metadata.trace.traceId`. Entries are grouped by key once at start; each configured key present on a
 * request is parsed once, and no other is.
 */
export type AccessLogMetadata = ReadonlyArray<{ key: string; entries: ReadonlyArray<{ name: string; path: readonly string[] }> }>;

/** Compiles the configured entries; undefined when there are none (the access log then skips metadata). */
export function compileAccessLogMetadata(names: readonly string[]): AccessLogMetadata | undefined {
  if (names.length === 0) return undefined;
  const byKey = new Map<string, Array<{ name: string; path: string[] }>>();
  for (const name of names) {
    const [key, ...path] = name.split(".");
    const entries = byKey.get(key!) ?? [];
    entries.push({ name, path });
    byKey.set(key!, entries);
  }
  return [...byKey].map(([key, entries]) => ({ key, entries }));
}

/** The configured values present on this request, by entry name; undefined when none is. */
export function accessLogMetadataOf(config: AccessLogMetadata, metadata: ReadonlyArray<[string, string]> | undefined): Record<string, unknown> | undefined {
  if (metadata === undefined) return undefined;
  let values: Record<string, unknown> | undefined;
  for (const { key, entries } of config) {
    const pair = metadata.find((entry) => entry[0] === key);
    if (pair === undefined) continue;
    const root = parseJson(pair[1]);
    for (const { name, path } of entries) {
      let value = root;
      for (const member of path) value = isRecord(value) && Object.hasOwn(value, member) ? value[member] : undefined;
      if (value !== undefined) (values ??= {})[name] = value;
    }
  }
  return values;
}

/** Metadata values are JSON text; a value that is not JSON is kept as the text itself (as expressions see it). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
