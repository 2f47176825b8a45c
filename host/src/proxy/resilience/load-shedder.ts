import type { ServerResponse } from "node:http";
import type { LoadSheddingConfig } from "../../config/resilience-schema.js";

const LAG_SAMPLE_MS = 50;

/**
 * Decides whether a new request is shed (503 PCS_ERR_OVERLOADED through the fault flow): too many requests
 * in flight on the gateway or on its route, or an event loop lagging past loadShedding.eventLoopLagMs.
 * The lag is the lateness of a 50 ms timer, kept as the worst of the last two samples.
 */
export class LoadShedder {
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #routeInFlight = new WeakMap<object, number>();
  #lagMs = 0;
  #previousLagMs = 0;
  #expectedAt = 0;

  constructor(private readonly config: LoadSheddingConfig) {
    if (config.eventLoopLagMs === undefined) return;
    this.#expectedAt = performance.now() + LAG_SAMPLE_MS;
    this.#timer = setInterval(() => this.#sample(), LAG_SAMPLE_MS);
    this.#timer.unref();
  }

  /** Why the gateway sheds a request now (inFlight includes it), or undefined. */
  gatewayShed(inFlight: number): string | undefined {
    if (inFlight > this.config.maxInFlight) return `more than ${this.config.maxInFlight} requests in flight`;
    const limit = this.config.eventLoopLagMs;
    if (limit !== undefined && Math.max(this.#lagMs, this.#previousLagMs) > limit) return `event loop lag over ${limit} ms`;
    return undefined;
  }

  /** Counts the request against its route's maxInFlight until `res` closes; the reason when over it. */
  routeShed(route: object, limit: number | undefined, res: ServerResponse): string | undefined {
    if (limit === undefined) return undefined;
    const count = (this.#routeInFlight.get(route) ?? 0) + 1;
    if (count > limit) return `more than ${limit} requests in flight on the route`;
    this.#routeInFlight.set(route, count);
    res.once("close", () => this.#routeInFlight.set(route, (this.#routeInFlight.get(route) ?? 1) - 1));
    return undefined;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #sample(): void {
    const now = performance.now();
    this.#previousLagMs = this.#lagMs;
    this.#lagMs = Math.max(0, now - this.#expectedAt);
    this.#expectedAt = now + LAG_SAMPLE_MS;
  }
}
