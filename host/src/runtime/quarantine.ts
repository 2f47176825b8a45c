/**
 * Keeps a policy that keeps failing out of the request path for a while, without letting one
 * client switch it off for everyone.
 *
 * A failure a request can provoke (a trap, a timeout, an invalid output) counts against the
 * client that sent it: after `failures` in a row that client's requests through the plugin fail
 * fast for `baseMs`, doubling on each failed probe up to `maxMs`. The plugin is quarantined for
 * everyone only when failures run on with no success in between from at least `clients`
 * distinct clients (it is broken for all), or when the failure is the plugin's own (an instance
 * that cannot be created). One success ends the streak it belongs to and resets the backoff.
 */
export interface QuarantineOptions {
  failures: number;
  baseMs: number;
  maxMs: number;
  /** Distinct clients in an unbroken failure streak that quarantine the plugin for everyone. */
  clients: number;
  /** Clients whose streaks are remembered; the least recently failing are forgotten first. */
  trackedClients: number;
}

/** Failures that say the plugin is broken whoever calls it (not provoked by one request). */
const PLUGIN_WIDE = new Set(["PCS_ERR_POLICY_INIT_FAILED"]);

/** One streak with exponential backoff: the building block of both scopes. */
export class Backoff {
  #streak = 0;
  #level = 0;
  #until = 0;

  constructor(private readonly options: QuarantineOptions) {}

  isActive(now: number): boolean {
    return now < this.#until;
  }

  get streak(): number {
    return this.#streak;
  }

  recordSuccess(): void {
    this.#streak = 0;
    this.#level = 0;
  }

  /**
   * Counts a failure; returns true when it started a quarantine. By default the streak trips at
   * `failures`, and after a quarantine the next call is a probe whose failure goes straight back,
   * for longer; `trip` replaces that rule (the backoff still grows until a success).
   */
  recordFailure(now: number, trip?: (streak: number) => boolean): boolean {
    this.#streak += 1;
    const trips = trip ? trip(this.#streak) : this.#level > 0 || this.#streak >= this.options.failures;
    if (!trips) return false;
    const backoff = Math.min(this.options.maxMs, this.options.baseMs * 2 ** this.#level);
    this.#level += 1;
    this.#streak = 0;
    this.#until = now + backoff;
    return true;
  }

  snapshot(now: number): { active: boolean; remainingMs: number; level: number; streak: number } {
    return { active: this.isActive(now), remainingMs: Math.max(0, this.#until - now), level: this.#level, streak: this.#streak };
  }
}

export type QuarantineScope = "client" | "plugin";

export class Quarantine {
  readonly #plugin: Backoff;
  /** Clients with a failure streak or a quarantine, least recently failing first. */
  readonly #clients = new Map<string, Backoff>();
  /** Distinct clients in the plugin's current failure streak (counted up to `clients`). */
  #streakClients = new Set<string>();
  #streakPluginWide = false;

  constructor(private readonly options: QuarantineOptions) {
    this.#plugin = new Backoff(options);
  }

  /** Which scope keeps `client` from calling the plugin right now, if any. */
  activeFor(client: string, now = Date.now()): QuarantineScope | undefined {
    if (this.#plugin.isActive(now)) return "plugin";
    return this.#clients.get(client)?.isActive(now) ? "client" : undefined;
  }

  /** Milliseconds until `client` may call again (0 when it may now). */
  remainingMs(client: string, now = Date.now()): number {
    const plugin = this.#plugin.snapshot(now).remainingMs;
    return Math.max(plugin, this.#clients.get(client)?.snapshot(now).remainingMs ?? 0);
  }

  recordSuccess(client: string): void {
    this.#plugin.recordSuccess();
    this.#streakClients.clear();
    this.#streakPluginWide = false;
    const backoff = this.#clients.get(client);
    if (backoff && !backoff.isActive(Date.now())) this.#clients.delete(client);
  }

  /** Counts a failure of a call made for `client`; returns the scope it quarantined, if any. */
  recordFailure(client: string, code: string, now = Date.now()): QuarantineScope | undefined {
    if (PLUGIN_WIDE.has(code)) this.#streakPluginWide = true;
    else if (this.#streakClients.size < this.options.clients) this.#streakClients.add(client);
    const wide = this.#plugin.recordFailure(
      now,
      (streak) => streak >= this.options.failures && (this.#streakPluginWide || this.#streakClients.size >= this.options.clients),
    );
    if (wide) {
      this.#streakClients = new Set();
      this.#streakPluginWide = false;
      return "plugin";
    }
    if (PLUGIN_WIDE.has(code)) return undefined;
    return this.#clientBackoff(client, now).recordFailure(now) ? "client" : undefined;
  }

  #clientBackoff(client: string, now: number): Backoff {
    let backoff = this.#clients.get(client);
    if (backoff)
      this.#clients.delete(client); // re-inserted last: most recently failing
    else {
      backoff = new Backoff(this.options);
      if (this.#clients.size >= this.options.trackedClients) this.#forgetOldest(now);
    }
    this.#clients.set(client, backoff);
    return backoff;
  }

  /** Drops the least recently failing client, preferring one not quarantined right now. */
  #forgetOldest(now: number): void {
    for (const [client, backoff] of this.#clients) {
      if (!backoff.isActive(now)) return void this.#clients.delete(client);
    }
    const oldest = this.#clients.keys().next().value;
    if (oldest !== undefined) this.#clients.delete(oldest);
  }

  snapshot(now = Date.now()): Record<string, unknown> {
    let quarantined = 0;
    for (const backoff of this.#clients.values()) if (backoff.isActive(now)) quarantined += 1;
    return { ...this.#plugin.snapshot(now), clients: { quarantined, tracked: this.#clients.size } };
  }
}
