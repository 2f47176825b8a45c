/**
 * Keeps a plugin that keeps failing out of the request path for a while: after `failures`
 * consecutive failures the plugin is quarantined for `baseMs`. The first call after a quarantine
 * is a probe: if it fails too, the plugin goes straight back, for twice as long (up to `maxMs`).
 * One success ends the streak and resets the backoff.
 */
export interface QuarantineOptions {
  failures: number;
  baseMs: number;
  maxMs: number;
}

export class Quarantine {
  #streak = 0;
  #level = 0;
  #until = 0;

  constructor(private readonly options: QuarantineOptions) {}

  /** True while the plugin must not be called. */
  isActive(now = Date.now()): boolean {
    return now < this.#until;
  }

  /** Milliseconds left, 0 when not quarantined. */
  remainingMs(now = Date.now()): number {
    return Math.max(0, this.#until - now);
  }

  recordSuccess(): void {
    this.#streak = 0;
    this.#level = 0;
  }

  /** Counts a failure; returns true when it started a quarantine. */
  recordFailure(now = Date.now()): boolean {
    this.#streak += 1;
    if (this.#level === 0 && this.#streak < this.options.failures) return false;
    const backoff = Math.min(this.options.maxMs, this.options.baseMs * 2 ** this.#level);
    this.#level += 1;
    this.#streak = 0;
    this.#until = now + backoff;
    return true;
  }

  snapshot(now = Date.now()): { active: boolean; remainingMs: number; level: number; streak: number } {
    return { active: this.isActive(now), remainingMs: this.remainingMs(now), level: this.#level, streak: this.#streak };
  }
}
