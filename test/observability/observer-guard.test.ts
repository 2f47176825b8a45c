import { describe, expect, it } from "vitest";
import { combineObservers, NO_OBSERVER, type RequestObserver } from "../../host/src/observability/request-observer.js";
import type { Exchange } from "../../host/src/proxy/exchange.js";

describe("observers combined", () => {
  it("calls every observer in order; one that throws is reported and the others still run", () => {
    const calls: string[] = [];
    const failures: unknown[] = [];
    const recording = (name: string, wants: boolean): RequestObserver => ({
      ...NO_OBSERVER,
      onRequestStart: () => void calls.push(`${name} start`),
      onRequestEnd: (_ex, status) => void calls.push(`${name} end ${status}`),
      wantsCallDetail: () => wants,
    });
    const broken: RequestObserver = {
      ...NO_OBSERVER,
      onRequestStart: () => {
        throw new Error("observer bug");
      },
      wantsCallDetail: () => {
        throw new Error("observer bug");
      },
    };
    const observer = combineObservers([recording("a", false), broken, recording("b", true)], (error) => failures.push(error));
    const ex = {} as Exchange;
    observer.onRequestStart(ex);
    observer.onRequestEnd(ex, 204);
    expect(observer.wantsCallDetail(ex)).toBe(true);
    expect(calls).toEqual(["a start", "b start", "a end 204", "b end 204"]);
    expect(failures.map(String)).toEqual(["Error: observer bug", "Error: observer bug"]);
  });

  it("is the no-op observer when nothing observes", () => {
    expect(combineObservers([], () => undefined)).toBe(NO_OBSERVER);
  });
});
