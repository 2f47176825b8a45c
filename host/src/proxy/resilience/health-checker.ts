import type { Dispatcher, Pool } from "undici";
import type { HealthCheckConfig } from "../../config/resilience-schema.js";
import type { TargetHealth } from "./target-health.js";

export interface CheckedTarget {
  pool: Pool;
  /** host[:port], sent as Host. */
  authority: string;
  basePath: string;
  health: TargetHealth;
}

/**
 * Active health checks: every intervalMs, GET `path` on each target; unhealthyThreshold failures in a row
 * take it out of rotation, healthyThreshold passes bring it back. Timers are unref'd; stop() ends them.
 */
export class HealthChecker {
  readonly #timer: NodeJS.Timeout;
  #stopped = false;

  constructor(
    private readonly config: HealthCheckConfig,
    private readonly targets: CheckedTarget[],
    private readonly onChange: (target: CheckedTarget, healthy: boolean) => void,
  ) {
    this.#timer = setInterval(() => this.#round(), config.intervalMs);
    this.#timer.unref();
    this.#round();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  #round(): void {
    for (const target of this.targets) {
      this.#check(target).then(
        (passed) => this.#record(target, passed),
        () => this.#record(target, false),
      );
    }
  }

  async #check(target: CheckedTarget): Promise<boolean> {
    const signal = AbortSignal.timeout(this.config.timeoutMs);
    const response: Dispatcher.ResponseData = await target.pool.request({
      path: target.basePath + this.config.path,
      method: "GET",
      headers: { host: target.authority, "user-agent": "portcullis-health-check" },
      signal,
    });
    await response.body.dump();
    return response.statusCode >= 200 && response.statusCode < 400;
  }

  #record(target: CheckedTarget, passed: boolean): void {
    if (this.#stopped) return;
    const { health } = target;
    if (passed) {
      health.checkFailures = 0;
      health.checkPasses++;
      if (!health.checkedHealthy && health.checkPasses >= this.config.healthyThreshold) {
        health.checkedHealthy = true;
        health.changedAt = performance.now();
        this.onChange(target, true);
      }
    } else {
      health.checkPasses = 0;
      health.checkFailures++;
      if (health.checkedHealthy && health.checkFailures >= this.config.unhealthyThreshold) {
        health.checkedHealthy = false;
        health.changedAt = performance.now();
        this.onChange(target, false);
      }
    }
  }
}
