// W3C Trace Context `tracestate` (https://www.w3.org/TR/trace-context/#tracestate-header): a comma-separated
// list of key=value members, at most 32. Invalid members are dropped, a repeated key keeps its first member.

export const MAX_MEMBERS = 32;

/**
 * The tracestate to send upstream: the gateway's own member first (when `ownKey` is set), then the valid
 * members of `values` (every incoming tracestate field, in order) without the gateway's key, up to 32 members.
 */
export function nextTracestate(values: Array<string>, ownKey: string, ownValue: string): string {
  const keys = new Array<string>();
  const members = new Array<string>();
  if (ownKey != "") {
    keys.push(ownKey);
    members.push(ownKey + "=" + ownValue);
  }
  for (let v = 0; v < values.length; v++) {
    const items = values[v].split(",");
    for (let i = 0; i < items.length && members.length < MAX_MEMBERS; i++) {
      const member = items[i].trim();
      const equals = member.indexOf("=");
      if (equals <= 0) continue;
      const key = member.substring(0, equals);
      if (keys.includes(key) || !isValidKey(key) || !isValidValue(member.substring(equals + 1))) continue;
      keys.push(key);
      members.push(member);
    }
  }
  return members.join(",");
}

/** `lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/")`, or `tenant@system` (241 and 14 characters at most). */
export function isValidKey(key: string): bool {
  const at = key.indexOf("@");
  if (at < 0) return key.length <= 256 && isKeyPart(key, false);
  const tenant = key.substring(0, at);
  const system = key.substring(at + 1);
  return tenant.length <= 241 && system.length <= 14 && isKeyPart(tenant, true) && isKeyPart(system, false);
}

function isKeyPart(part: string, digitFirst: bool): bool {
  if (part.length == 0) return false;
  const first = part.charCodeAt(0);
  if (!isLowerAlpha(first) && !(digitFirst && isDigit(first))) return false;
  for (let i = 1; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (!isLowerAlpha(c) && !isDigit(c) && c != 0x5f && c != 0x2d && c != 0x2a && c != 0x2f) return false;
  }
  return true;
}

/** 1 to 256 printable ASCII characters other than "," and "=", not ending with a space. */
function isValidValue(value: string): bool {
  if (value.length == 0 || value.length > 256 || value.charCodeAt(value.length - 1) == 0x20) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c == 0x2c || c == 0x3d) return false;
  }
  return true;
}

function isLowerAlpha(c: i32): bool {
  return c >= 0x61 && c <= 0x7a;
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}
