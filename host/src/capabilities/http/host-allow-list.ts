/**
 * Which hosts a plugin may call. Deny by default: an empty list allows nothing.
 * Entries: `host` (any port), `host:port`, `*.suffix` (any subdomain of suffix,
 * not suffix itself, any port) and `*.suffix:port`. IPv6 literals in brackets.
 */
export class HostAllowList {
  readonly #entries: { host: string; wildcard: boolean; port: string | undefined }[];

  constructor(entries: readonly string[]) {
    this.#entries = entries.map((entry) => {
      const match = /^(\*\.)?(\[[0-9a-f:.]+\]|[^:\s]+)(?::(\d+))?$/i.exec(entry.trim());
      if (!match) throw new Error(`invalid allow-list entry "${entry}": expected host, host:port or *.suffix`);
      return { wildcard: match[1] !== undefined, host: match[2]!.toLowerCase(), port: match[3] };
    });
  }

  /** True when `url` (already parsed) targets an allowed host and port. */
  allows(url: URL): boolean {
    const host = url.hostname.toLowerCase();
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    return this.#entries.some((entry) => {
      if (entry.port !== undefined && entry.port !== port) return false;
      return entry.wildcard ? host.endsWith(`.${entry.host}`) : host === entry.host;
    });
  }
}
