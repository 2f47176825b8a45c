const SECRET_NAME = /secret|password|passwd|token|key|credential|authorization|cookie/i;
export const REDACTED = "[redacted]";

/**
 * A deep copy of a configuration value for display: values under names that look secret (TLS key,
 * passwords, tokens, API keys...) are replaced, and so are passwords in URLs.
 */
export function redact(value: unknown, name = ""): unknown {
  if (Array.isArray(value)) return value.map((item) => redact(item, name));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = redact(child, key);
    return out;
  }
  if (SECRET_NAME.test(name) && value !== undefined && typeof value !== "boolean") return REDACTED;
  if (typeof value === "string" && /^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(value)) {
    return value.replace(/^([a-z]+:\/\/[^/:@]*):[^/@]*@/i, `$1:${REDACTED}@`);
  }
  return value;
}
