/**
 * Caps the retries in flight at `ratio` x the requests in flight to a backend (or `minRetries`, when that
 * is more, so light traffic still retries): at most a share of the active requests are retries, so when a
 * backend starts failing, retries cannot multiply the load on it, however busy it was a moment before.
 * A request is in flight from its first try until its last try ends (or its answer starts, for the last);
 * it counts as a retry from the moment a retry is granted (its backoff included) until then.
 */
export class RetryBudget {
  #requests = 0;
  #retries = 0;

  constructor(
    private readonly ratio: number,
    private readonly minRetries: number,
  ) {}

  /** A request's first try starts. */
  enter(): void {
    this.#requests++;
  }

  /** A request is done with this backend; `retried`: it had been granted a retry. */
  leave(retried: boolean): void {
    this.#requests--;
    if (retried) this.#retries--;
  }

  /** Grants a retry, or returns false when the budget is spent. `retrying`: the request already counts as one. */
  tryRetry(retrying: boolean): boolean {
    const others = this.#retries - (retrying ? 1 : 0);
    if (others + 1 > Math.max(this.minRetries, this.ratio * this.#requests)) return false;
    if (!retrying) this.#retries++;
    return true;
  }

  /** For GET /backends and tests: requests and retries in flight. */
  get inFlight(): { requests: number; retries: number } {
    return { requests: this.#requests, retries: this.#retries };
  }
}
