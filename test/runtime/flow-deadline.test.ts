import { describe, expect, it } from "vitest";
import { FlowDeadline, markStarted, ProgressSlots } from "../../host/src/runtime/flow-deadline.js";

/** The deadline of one flow task, driven by hand: no pool, no workers. */
const deadlineOn = (slots: ProgressSlots, budgetMs: number, queueTimeoutMs: number, onBudget: (threadId: number) => void = () => {}) =>
  new FlowDeadline(slots, slots.take(), budgetMs, queueTimeoutMs, 5_000, onBudget);

describe("FlowDeadline", () => {
  it("gives a slot back once, however often it is done with", () => {
    const slots = new ProgressSlots(8);
    const deadline = deadlineOn(slots, 1_000, 1_000);
    deadline.done();
    deadline.done();
    const next = [slots.take(), slots.take()];
    expect(next[0]).toBe(deadline.slot);
    expect(next[1]).not.toBe(deadline.slot);
  });

  it("abandons a task still queued past the queue timeout, which the worker then skips", async () => {
    const slots = new ProgressSlots(8);
    const deadline = deadlineOn(slots, 1_000, 20);
    await deadline.expired;
    expect(deadline.reason).toBe("queue");
    expect(markStarted(slots.words, deadline.slot, 7)).toBe(false);
    deadline.done();
    expect(slots.take()).not.toBe(deadline.slot); // a slot given up on is never reused
  });

  it("names the thread running a task past its budget, and counts the budget from the start", async () => {
    const slots = new ProgressSlots(8);
    const terminated: number[] = [];
    const deadline = deadlineOn(slots, 30, 1_000, (threadId) => terminated.push(threadId));
    expect(deadline.neverStarted).toBe(true);
    expect(markStarted(slots.words, deadline.slot, 7)).toBe(true);
    expect(deadline.neverStarted).toBe(false);
    await deadline.expired;
    expect(deadline.reason).toBe("budget");
    expect(terminated).toEqual([7]);
    deadline.done();
  });
});
