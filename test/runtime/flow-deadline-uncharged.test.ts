import { describe, expect, it } from "vitest";
import { FlowDeadline, markFinished, markStarted, pauseBudget, ProgressSlots, resumeBudget } from "../../host/src/runtime/flow-deadline.js";

// Time a flow does not spend running policies is not charged: waiting for its call-outs, and after it finished.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function started(budgetMs: number) {
  const slots = new ProgressSlots(8);
  const terminated: number[] = [];
  const deadline = new FlowDeadline(slots, slots.take(), budgetMs, 10_000, (threadId) => terminated.push(threadId));
  expect(markStarted(slots.words, deadline.slot, 7)).toBe(true);
  return { words: slots.words, deadline, terminated };
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

  it("never expires for a flow that finished, however late its answer is read", async () => {
    const { words, deadline, terminated } = started(30);
    markFinished(words, deadline.slot);
    const expired = await Promise.race([deadline.expired.then(() => true), sleep(120).then(() => false)]);
    expect(expired).toBe(false);
    expect(terminated).toEqual([]);
    deadline.done();
  });
});
