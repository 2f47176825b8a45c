// redirect: answers in the request flow with 301, 302, 307 or 308 and a Location that is a literal or
// a CEL expression over the request; the request's query is appended (`query: keep`) or dropped.
import { Config, Decision, DynamicValue, JsonValue, Policy, register, Request } from "@portcullis/sdk";
import { CONFIG_SCHEMA } from "./schema";

const STATUSES: Array<i32> = [301, 302, 307, 308];

class Redirect extends Policy {
  status: i32 = 302;
  location: DynamicValue = DynamicValue.fromLiteral("");
  keepQuery: bool = true;

  constructor() {
    super("redirect", "1.0.0");
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    this.status = <i32>config.optionalInteger("status", 302);
    if (config.ok && !STATUSES.includes(this.status)) config.invalid("status", "must be 301, 302, 307 or 308");
    const query = config.optionalString("query", "keep");
    if (config.ok && query != "keep" && query != "drop") config.invalid("query", 'must be "keep" or "drop"');
    this.keepQuery = query == "keep";
    if (!config.ok) return;
    if (!config.has("location")) {
      config.invalid("location", "is required (a string or { expression })");
      return;
    }
    const location = DynamicValue.read(config, "location");
    if (location === null) return;
    if (location.isLiteral && !isValidLocation(location.literal)) {
      config.invalid("location", "must be a non-empty URL without spaces, CR, LF or other control characters");
      return;
    }
    this.location = location;
  }

  onRequest(request: Request): Decision {
    const value = this.location.evaluate();
    if (value === null || !value.isString || !isValidLocation(value.stringValue)) {
      return Decision.respondJson(400, JsonValue.object().set("code", JsonValue.string("REDIRECT_LOCATION_INVALID")));
    }
    const location = this.keepQuery ? withQuery(value.stringValue, request.query) : value.stringValue;
    return Decision.respond(this.status).setHeader("location", location);
  }
}

/** Printable characters only (no space: a URL has none unescaped), Latin-1 at most, as on the wire. */
function isValidLocation(location: string): bool {
  if (location.length == 0) return false;
  for (let i = 0; i < location.length; i++) {
    const c = location.charCodeAt(i);
    if (c <= 0x20 || c == 0x7f || c > 0xff) return false;
  }
  return true;
}

/** Appends the request's query to `location`'s own query (with `&`), before any fragment. */
function withQuery(location: string, query: string): string {
  if (query.length == 0) return location;
  const hash = location.indexOf("#");
  const base = hash < 0 ? location : location.substring(0, hash);
  const fragment = hash < 0 ? "" : location.substring(hash);
  const separator = base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?";
  return base + separator + query + fragment;
}

register(new Redirect());
