// The Cache-Control directives the cache acts on (RFC 9111 section 5.2), from every field of the header.
import { Headers } from "@portcullis/sdk";

/** -1 when a delta-seconds directive is absent; 0 when it is present but malformed (treated as stale). */
export class CacheControl {
  noStore: bool = false;
  noCache: bool = false;
  isPrivate: bool = false;
  isPublic: bool = false;
  maxAge: i64 = -1;
  sMaxAge: i64 = -1;

  static of(headers: Headers): CacheControl {
    const control = new CacheControl();
    const fields = headers.getAll("cache-control");
    for (let f = 0; f < fields.length; f++) {
      const directives = fields[f].split(",");
      for (let d = 0; d < directives.length; d++) control.apply(directives[d].trim());
    }
    return control;
  }

  private apply(directive: string): void {
    const equals = directive.indexOf("=");
    const name = (equals < 0 ? directive : directive.substring(0, equals)).trim().toLowerCase();
    const value = equals < 0 ? "" : unquote(directive.substring(equals + 1).trim());
    // `no-cache="field"` and `private="field"` name fields to drop; dropping the whole response is the safe reading.
    if (name == "no-store") this.noStore = true;
    else if (name == "no-cache") this.noCache = true;
    else if (name == "private") this.isPrivate = true;
    else if (name == "public") this.isPublic = true;
    else if (name == "max-age") this.maxAge = seconds(value);
    else if (name == "s-maxage") this.sMaxAge = seconds(value);
  }
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.substring(1, value.length - 1) : value;
}

/** Delta-seconds: digits only; past 10 digits it is 2^31 - 1 (RFC 9111 section 1.2.2); 0 when malformed. */
export function seconds(text: string): i64 {
  if (text.length == 0 || text.length > 10) return text.length > 10 && allDigits(text) ? 2_147_483_647 : 0;
  return allDigits(text) ? I64.parseInt(text) : 0;
}

function allDigits(text: string): bool {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
