// Where a client sends the token: a header (Authorization with a scheme, or another header), and
// optionally a query parameter and a cookie. The first place that carries one is used, in that order;
// before forwarding, the token is removed from every configured place.
import { Config, Decision, Request } from "@portcullis/sdk";

export class TokenSource {
  header: string = "authorization";
  scheme: string = "bearer";
  query: string = "";
  cookie: string = "";

  static read(config: Config): TokenSource {
    const source = new TokenSource();
    source.header = config.optionalString("header", "authorization").toLowerCase();
    source.scheme = config.optionalString("scheme", source.header == "authorization" ? "Bearer" : "").toLowerCase();
    source.query = config.optionalString("query", "");
    source.cookie = config.optionalString("cookie", "");
    return source;
  }

  /** The token, "" when none is sent, null when the header does not carry the configured scheme. */
  find(request: Request): string | null {
    const fromHeader = this.fromHeader(request);
    if (fromHeader === null || fromHeader != "") return fromHeader;
    if (this.query != "") {
      const value = request.queryParam(this.query);
      if (value !== null && value != "") return value;
    }
    if (this.cookie != "") {
      const value = request.cookie(this.cookie);
      if (value !== null && value != "") return value;
    }
    return "";
  }

  private fromHeader(request: Request): string | null {
    const value = request.headers.get(this.header);
    if (value === null) return "";
    const text = value.trim();
    if (text == "" || this.scheme == "") return text;
    const space = text.indexOf(" ");
    if (space < 0 || text.substring(0, space).toLowerCase() != this.scheme) return null;
    return text.substring(space + 1).trim();
  }

  remove(decision: Decision): void {
    decision.removeHeader(this.header);
    if (this.query != "") decision.removeQueryParam(this.query);
    if (this.cookie != "") decision.removeCookie(this.cookie);
  }
}
