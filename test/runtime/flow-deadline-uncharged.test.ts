import { describe, expect, it } from "vitest";
import {
  beginCreating,
  endCreating,
  FlowDeadline,
  markFinished,
  markStarted,
  pauseBudget,
  ProgressSlots,
  resumeBudget,
} from "../../host/src/runtime/flow-deadline.js";

// Time a flow does not spend running policies is not charged to their budget: waiting for its call-outs,
// after it finished, and creating a policy instance (bounded by the load timeout instead).

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function started(budgetMs: number, loadTimeoutMs = 5_000) {
  const slots = new ProgressSlots(8);
  const terminated: number[] = [];
  const deadline = new FlowDeadline(slots, slots.take(), budgetMs, 10_000, loadTimeoutMs, (threadId) => terminated.push(threadId));
  expect(markStarted(slots.words, deadline.slot, 7)).toBe(true);
  return { slots, words: slots.words, deadline, terminated };
}

describe("the flow budget", () => {
  it("pauses while the flow waits for call-outs and charges what was spent before once it resumes", async () => {
    const { words, deadline, terminated } = started(60);
    await sleep(20);
    const spent = pauseBudget(words, deadline.slot);
    expect(spent).toBeGreaterThanOrEqual(15);
    await sleep(150); // past the budget, but waiting
    expect(terminated).toEqual([]);
    resumeBudget(words, deadline.slot, spent);
    await deadline.expired; // the rest of the budget runs out after the wait
    expect(deadline.reason).toBe("budget");
    expect(terminated).toEqual([7]);
    deadline.done();
  });

  it("gives a flow creating an instance the load timeout for that, then charges its policies what they had spent", async () => {
    const { slots, words, deadline, terminated } = started(60, 400);
    await sleep(20);
    const spent = beginCreating(words, deadline.slot, 3);
    expect(spent).toBeGreaterThanOrEqual(15);
    expect([slots.creating(deadline.slot), deadline.runningInstance]).toEqual([true, 3]);
    await sleep(150); // past the budget, within the load timeout
    expect(terminated).toEqual([]);
    endCreating(words, deadline.slot, 3, spent);
    expect([slots.creating(deadline.slot), deadline.runningInstance]).toEqual([false, 3]);
    await deadline.expired;
    expect([deadline.reason, terminated]).toEqual(["budget", [7]]);
    deadline.done();
  });

  it("ends a flow whose instance creation runs past the load timeout", async () => {
    const { words, deadline, terminated } = started(60, 200);
    beginCreating(words, deadline.slot, 0);
    const at = Date.now();
    await deadline.expired;
    expect(Date.now() - at).toBeGreaterThanOrEqual(190);
    expect([deadline.reason, terminated]).toEqual(["budget", [7]]);
    deadline.done();
  });

  it("never expires for a flow that finished, however late its answer is read", async () => {
    const { words, deadline, terminated } = started(30);
    markFinished(words, deadline.slot);
    const expired = await Promise.race([deadline.expired.then(() => true), sleep(120).then(() => false)]);
    expect(expired).toBe(false);
    expect(terminated).toEqual([]);
    deadline.done();
  });
});
