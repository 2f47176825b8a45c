import { createHash } from "node:crypto";
import { compileExpression, evaluateExpression, type CompiledExpression } from "../../capabilities/expression/cel.js";
import { expressionContextFrom } from "../../capabilities/expression/expression-context.js";
import { requestHeadOf } from "../../runtime/exchange-heads.js";
import type { Exchange } from "../exchange.js";
import type { TargetHealth } from "./target-health.js";

/** What the balancer needs of a target. */
export interface BalancedTarget {
  weight: number;
  priority: number;
  health: TargetHealth;
  /** Upstream tries in flight on this target (least-request). */
  active: number;
  /** Smooth weighted round-robin state. */
  currentWeight: number;
}

export type BalancingPolicy = "round-robin" | "least-request" | "consistent-hash";

const RING_POINTS_PER_WEIGHT = 64;

/**
 * Picks a target among the available ones of the best (lowest) priority that has any: smooth weighted
 * round-robin, least-request (fewest tries in flight per unit of weight), or a consistent-hash ring on a
 * CEL key, where a target going away moves only its own keys.
 */
export class Balancer<T extends BalancedTarget> {
  readonly #ring: Array<{ point: number; target: T }> = [];
  readonly #hashKey: CompiledExpression | undefined;
  #cursor = 0;
  /** The candidates, kept until a health change (invalidate) or the end of the earliest ejection. */
  #candidatesCache: T[] | undefined;
  #cacheValidUntil = 0;

  constructor(
    private readonly targets: T[],
    private readonly policy: BalancingPolicy,
    hashKey: string | undefined,
  ) {
    if (policy === "consistent-hash" && hashKey !== undefined) {
      const compiled = compileExpression(hashKey);
      if (compiled.tag === "err") throw new Error(`loadBalancing.hashKey: ${compiled.val.val}`);
      this.#hashKey = compiled.val;
      targets.forEach((target, i) => {
        for (let p = 0; p < target.weight * RING_POINTS_PER_WEIGHT; p++) this.#ring.push({ point: hash32(`${i}#${p}`), target });
      });
      this.#ring.sort((a, b) => a.point - b.point);
    }
  }

  /** The target for this request, or undefined when no target is available. */
  pick(ex: Exchange | undefined, now = performance.now()): T | undefined {
    const candidates = this.#candidates(now);
    if (candidates.length === 0) return undefined;
    if (candidates.length === 1) return candidates[0];
    if (this.policy === "least-request") return this.#leastRequest(candidates);
    if (this.policy === "consistent-hash" && ex) {
      const key = this.#keyOf(ex);
      if (key !== undefined) return this.#onRing(key, candidates);
    }
    return smoothWeighted(candidates);
  }

  /** A target's health changed: the next pick recomputes the candidates. */
  invalidate(): void {
    this.#candidatesCache = undefined;
  }

  #candidates(now: number): T[] {
    if (this.#candidatesCache !== undefined && now < this.#cacheValidUntil) return this.#candidatesCache;
    let best = Number.POSITIVE_INFINITY;
    let found: T[] = [];
    let validUntil = Number.POSITIVE_INFINITY;
    for (const target of this.targets) {
      if (target.health.ejected(now)) validUntil = Math.min(validUntil, target.health.ejectedUntil);
      if (!target.health.available(now) || target.priority > best) continue;
      if (target.priority < best) {
        best = target.priority;
        found = [];
      }
      found.push(target);
    }
    this.#candidatesCache = found;
    this.#cacheValidUntil = validUntil;
    return found;
  }

  #leastRequest(candidates: T[]): T {
    const start = this.#cursor++ % candidates.length; // ties rotate
    let chosen = candidates[start]!;
    for (let i = 1; i < candidates.length; i++) {
      const target = candidates[(start + i) % candidates.length]!;
      if (target.active / target.weight < chosen.active / chosen.weight) chosen = target;
    }
    return chosen;
  }

  /** The key, or undefined when the expression fails or gives nothing (the request is then round-robined). */
  #keyOf(ex: Exchange): string | undefined {
    const context = expressionContextFrom({ request: requestHeadOf(ex), metadata: [] });
    const result = evaluateExpression(this.#hashKey!, context);
    if (result.tag === "err" || result.val === undefined || result.val === null) return undefined;
    return typeof result.val === "string" ? result.val : String(result.val);
  }

  #onRing(key: string, candidates: T[]): T {
    const point = hash32(key);
    let low = 0;
    let high = this.#ring.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.#ring[mid]!.point < point) low = mid + 1;
      else high = mid;
    }
    for (let i = 0; i < this.#ring.length; i++) {
      const { target } = this.#ring[(low + i) % this.#ring.length]!;
      if (candidates.includes(target)) return target;
    }
    return candidates[0]!;
  }
}

/** nginx's smooth weighted round-robin: spreads a heavier target's turns instead of bunching them. */
export function smoothWeighted<T extends { weight: number; currentWeight: number }>(candidates: T[]): T {
  let total = 0;
  let chosen = candidates[0]!;
  for (const target of candidates) {
    target.currentWeight += target.weight;
    total += target.weight;
    if (target.currentWeight > chosen.currentWeight) chosen = target;
  }
  chosen.currentWeight -= total;
  return chosen;
}

function hash32(text: string): number {
  return createHash("sha1").update(text).digest().readUInt32BE(0);
}
