// What may go on the wire in a header: RFC 9110 field names (tokens) and field values (no CR, LF,
// NUL or other controls, Latin-1 at most; Node refuses the same characters when it writes a header).

const TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

/** Headers that frame the message or the connection: the gateway owns them. */
const FRAMING = ["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer", "proxy-connection"];

/** Checks of header names and values against HTTP's grammar, and the headers the gateway owns. */
export namespace Wire {
  /** A non-empty RFC 9110 token: letters, digits and ``!#$%&'*+-.^_`|~``, e.g. a header name. */
  export function isToken(text: string): bool {
    if (text.length == 0) return false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const alphanumeric = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
      if (!alphanumeric && (c > 0x7e || TOKEN_SYMBOLS.indexOf(String.fromCharCode(c)) < 0)) return false;
    }
    return true;
  }

  /** A header value the gateway can send: tabs and printable Latin-1, nothing else. */
  export function isValidHeaderValue(value: string): bool {
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c == 0x09) continue;
      if (c < 0x20 || c == 0x7f || c > 0xff) return false;
    }
    return true;
  }

  /** Content-Length, Transfer-Encoding, Connection and the like (any case): policies may not set them. */
  export function isFramingHeader(name: string): bool {
    return FRAMING.includes(name.toLowerCase());
  }
}
