// What may appear on the wire: RFC 9110 field names (tokens) and field values (no CR, LF, NUL or other
// controls; Node refuses the same characters when it writes a header).

function isTokenChar(c: i32): bool {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  return "!#$%&'*+-.^_`|~".indexOf(String.fromCharCode(c)) >= 0;
}

export function isValidName(name: string): bool {
  if (name.length == 0) return false;
  for (let i = 0; i < name.length; i++) if (!isTokenChar(name.charCodeAt(i))) return false;
  return true;
}

export function isValidValue(value: string): bool {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c == 0x09) continue;
    if (c < 0x20 || c == 0x7f || c > 0xff) return false;
  }
  return true;
}

/** Headers that frame the message or the connection: the gateway owns them. */
const FRAMING = ["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer", "proxy-connection"];

export function isFramingHeader(name: string): bool {
  return FRAMING.includes(name.toLowerCase());
}
