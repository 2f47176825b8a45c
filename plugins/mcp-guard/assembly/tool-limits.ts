// Per-tool rate limits: fixed, epoch-aligned windows in the shared `counters` store (memory or Redis),
// one counter per limit, tool and caller.
import { Config, Counters } from "@portcullis/sdk";
import { NameList } from "./names";

export class ToolLimit {
  constructor(
    public readonly index: i32,
    public readonly tools: NameList,
    public readonly requests: i64,
    public readonly windowMs: u64,
  ) {}
}

export function readToolLimits(config: Config): Array<ToolLimit> {
  const items = config.objectList("limits");
  const limits = new Array<ToolLimit>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const tools = new NameList(item.optionalStringList("tools"));
    const requests = item.requireInteger("requests", 1);
    const seconds = item.requireInteger("windowSeconds", 1, 86400);
    limits.push(new ToolLimit(i, tools, requests, <u64>seconds * 1000));
  }
  return limits;
}

/** Outcome of charging one call: within every limit, over one (with seconds to wait), or the store failed. */
export class Charge {
  constructor(
    public readonly over: bool,
    public readonly retryInSeconds: i64,
    public readonly failed: bool,
  ) {}
}

/** Charges one call of `tool` by `caller` to each limit naming the tool; the first limit passed decides. */
export function chargeCall(limits: Array<ToolLimit>, tool: string, caller: string): Charge {
  for (let i = 0; i < limits.length; i++) {
    const limit = limits[i];
    if (!limit.tools.matches(tool)) continue;
    const counted = Counters.increment("mcp-guard:" + limit.index.toString() + ":" + tool + ":" + caller, 1, limit.windowMs);
    if (!counted.isOk) return new Charge(false, 0, true);
    const state = counted.ok!;
    if (state.value > limit.requests) return new Charge(true, <i64>((state.resetInMs + 999) / 1000), false);
  }
  return new Charge(false, 0, false);
}
