/**
 * Caps retries at `ratio` x the requests of a sliding window (plus `minPerSecond` so light traffic still
 * retries), so a failing backend sees at most about (1 + ratio) x the offered load, never a multiple.
 * The window is a ring of one-second slots.
 */
export class RetryBudget {
  readonly #requests: number[];
  readonly #retries: number[];
  #slot = 0;
  #slotSecond = 0;

  constructor(
    private readonly ratio: number,
    private readonly minPerSecond: number,
    windowMs: number,
  ) {
    const slots = Math.max(1, Math.ceil(windowMs / 1000));
    this.#requests = new Array<number>(slots).fill(0);
    this.#retries = new Array<number>(slots).fill(0);
  }

  /** Counts a first try. */
  recordRequest(now = performance.now()): void {
    this.#advance(now);
    this.#requests[this.#slot]!++;
  }

  /** Takes one retry from the budget, or returns false when the budget is spent. */
  tryRetry(now = performance.now()): boolean {
    this.#advance(now);
    const allowed = this.ratio * sum(this.#requests) + this.minPerSecond * this.#requests.length;
    if (sum(this.#retries) + 1 > allowed) return false;
    this.#retries[this.#slot]!++;
    return true;
  }

  #advance(now: number): void {
    const second = Math.floor(now / 1000);
    const steps = Math.min(second - this.#slotSecond, this.#requests.length);
    for (let i = 0; i < steps; i++) {
      this.#slot = (this.#slot + 1) % this.#requests.length;
      this.#requests[this.#slot] = 0;
      this.#retries[this.#slot] = 0;
    }
    this.#slotSecond = second;
  }
}

function sum(values: number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
