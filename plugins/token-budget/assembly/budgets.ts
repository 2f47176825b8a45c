// The budget windows (per minute, per day) and their state in the shared counters: fixed, epoch-aligned
// windows (a day starts at 00:00 UTC), exact across workers and, with Redis, across gateway instances.
import { Counters, Decision } from "@portcullis/sdk";

export class Budget {
  constructor(public name: string, public tokens: i64, public windowMs: u64) {}
}

export class BudgetState {
  constructor(public budget: Budget, public used: i64, public resetInMs: u64) {}
  get remaining(): i64 {
    return this.used >= this.budget.tokens ? 0 : this.budget.tokens - this.used;
  }
  get spent(): bool {
    return this.used >= this.budget.tokens;
  }
  /** Whole seconds until the window ends (at least 1). */
  get resetSeconds(): u64 {
    const seconds = (this.resetInMs + 999) / 1000;
    return seconds == 0 ? 1 : seconds;
  }
}

export function counterKey(scope: string, budget: Budget, client: string): string {
  return `tokens:${scope}:${budget.name}:${client}`;
}

/**
 * Adds `tokens` (0: only reads) to every budget; the state of the one with the least left, or null
 * when the store does not answer.
 */
export function charge(budgets: Array<Budget>, scope: string, client: string, tokens: i64): BudgetState | null {
  let tightest: BudgetState | null = null;
  for (let i = 0; i < budgets.length; i++) {
    const budget = budgets[i];
    const key = counterKey(scope, budget, client);
    const result = tokens == 0 ? Counters.get(key, budget.windowMs) : Counters.increment(key, tokens, budget.windowMs);
    if (!result.isOk) return null;
    const state = new BudgetState(budget, result.ok!.value, result.ok!.resetInMs);
    if (tightest === null || state.remaining < tightest.remaining) tightest = state;
  }
  return tightest;
}

/** The budget fields, named as OpenAI names its token limits (reset in whole seconds here). */
export function setBudgetHeaders(decision: Decision, state: BudgetState): Decision {
  return decision
    .setHeader("x-ratelimit-limit-tokens", state.budget.tokens.toString())
    .setHeader("x-ratelimit-remaining-tokens", state.remaining.toString())
    .setHeader("x-ratelimit-reset-tokens", state.resetSeconds.toString());
}
