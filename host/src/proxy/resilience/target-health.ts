import type { OutlierConfig } from "../../config/resilience-schema.js";

/** What the gateway knows about one target's health: active checks and passive outlier ejection. */
export class TargetHealth {
  /** Active health checks' verdict (true until checks say otherwise). */
  checkedHealthy = true;
  checkPasses = 0;
  checkFailures = 0;
  /** Failed answers in a row from real requests. */
  consecutiveFailures = 0;
  ejectedUntil = 0;
  /** Ejections so far; each lasts one baseEjectionMs longer than the last (capped). */
  ejections = 0;
  /** When the target last came back from an ejection (the ejection count decays after a calm period). */
  readmittedAt = 0;
  /** Ejections since the configuration took effect (never decays; GET /backends and the metrics). */
  ejectionsTotal = 0;
  /** performance.now() of the last ejection or active-check verdict change (at first: when created). */
  changedAt = performance.now();

  available(now: number): boolean {
    return this.checkedHealthy && now >= this.ejectedUntil;
  }

  ejected(now: number): boolean {
    return now < this.ejectedUntil;
  }
}

/** The targets of one backend, for outlier ejection (which must not eject more than a share of them). */
export class OutlierDetector {
  readonly #maxEjected: number;

  constructor(
    private readonly config: OutlierConfig,
    private readonly health: TargetHealth[],
    private readonly onEject: (index: number, forMs: number) => void,
  ) {
    this.#maxEjected = Math.floor(health.length * config.maxEjectedShare);
  }

  success(index: number): void {
    this.health[index]!.consecutiveFailures = 0;
  }

  failure(index: number, now = performance.now()): void {
    const target = this.health[index]!;
    target.consecutiveFailures++;
    if (!this.config.enabled || target.consecutiveFailures < this.config.consecutiveFailures || target.ejected(now)) return;
    if (this.health.filter((h) => h.ejected(now)).length >= this.#maxEjected) return;
    const { baseEjectionMs, maxEjectionMs } = this.config;
    if (target.ejections > 0 && now - target.readmittedAt > maxEjectionMs) target.ejections = 0;
    target.ejections++;
    const forMs = Math.min(maxEjectionMs, baseEjectionMs * target.ejections);
    target.ejectedUntil = now + forMs;
    target.readmittedAt = target.ejectedUntil;
    target.consecutiveFailures = 0;
    target.ejectionsTotal++;
    target.changedAt = now;
    this.onEject(index, forMs);
  }
}
