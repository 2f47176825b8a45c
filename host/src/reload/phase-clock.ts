/**
 * Where a reload's time goes, for its outcome (GET /reload, the log) and bench/reload: each `lap` records
 * the milliseconds since the previous one under a phase name (a repeated name adds up).
 */
export class PhaseClock {
  readonly phases: Record<string, number> = {};
  #last: number;

  constructor(start = performance.now()) {
    this.#last = start;
  }

  lap(phase: string): void {
    const now = performance.now();
    this.phases[phase] = Math.round((this.phases[phase] ?? 0) + now - this.#last);
    this.#last = now;
  }
}
