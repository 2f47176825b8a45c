import type { DirectResponse, ResponseHead } from "@portcullis/sdk/component";
import type { Exchange } from "../proxy/exchange.js";
import { isEventStream, type EventDecision, type EventPhase, type EventStep } from "../proxy/sse-events.js";
import { NEED_NONE } from "./body-needs.js";
import { checkHeaders, checkStatus, InvalidPolicyOutput } from "./checked-output.js";
import { headersOf, rawOf, upstreamResponseTask } from "./exchange-heads.js";
import type { FlowResult, MetadataPairs, ResponseTask } from "./flow-messages.js";
import type { PlanStep } from "./policy-plan.js";
import type { PolicyRuntime } from "./policy-runtime.js";

/** The metadata key that tells a policy which part of a stream it is seeing (docs/policies.md). */
export const SSE_METADATA_KEY = "sse";

type RunTask = (task: Omit<ResponseTask, "quarantined" | "slot">, steps: PlanStep[]) => Promise<FlowResult>;

/**
 * The response chain as an EventStep (proxy/sse-events.ts), when the answer is text/event-stream and
 * every policy of the chain that reads the body was attached with `sseEvents: true`; otherwise
 * undefined, and the answer is buffered whole for the chain as before (old components keep working).
 */
export function eventFlowOf(runtime: PolicyRuntime, ex: Exchange, chain: PlanStep[], run: RunTask): EventStep | undefined {
  if (!isEventStream(ex.responseHeaders ?? []) || !wantsEvents(runtime, chain)) return undefined;
  let index = 0;
  return async (phase: EventPhase, body: Uint8Array | undefined, count: number): Promise<EventDecision> => {
    const marker = phase === "event" ? { phase, index, count } : phase === "end" ? { phase, events: index } : { phase };
    if (phase === "event") index += count;
    const result = await run(upstreamResponseTask(ex, body, [...withoutMarker(ex.metadata ?? []), [SSE_METADATA_KEY, JSON.stringify(marker)]]), chain);
    ex.metadata = withoutMarker(result.metadata);
    try {
      return applied(ex, phase, result, chain);
    } catch (error) {
      if (!(error instanceof InvalidPolicyOutput)) throw error;
      return { action: "fault", code: "PCS_ERR_POLICY_INVALID_OUTPUT", policy: error.policy, detail: error.message };
    }
  };
}

function wantsEvents(runtime: PolicyRuntime, chain: PlanStep[]): boolean {
  let any = false;
  for (const step of chain) {
    if (runtime.responseBodyNeed([step]) === NEED_NONE) continue; // sees no body: streams either way
    if (!step.sseEvents) return false;
    any = true;
  }
  return any;
}

/** The head may change only in the head phase (later it is sent); an event's body replaces the event. */
function applied(ex: Exchange, phase: EventPhase, result: FlowResult, chain: PlanStep[]): EventDecision {
  const policies = chain.map((step) => step.name).join(", ");
  switch (result.outcome) {
    case "continue": {
      const head = result.head as ResponseHead | undefined;
      if (phase !== "head") return { action: "continue", body: result.body };
      if (head) {
        checkStatus(policies, head.status);
        checkHeaders(policies, headersOf(ex.responseHeaders ?? []), head.headers);
        ex.responseStatus = head.status;
        ex.responseHeaders = rawOf(head.headers);
      }
      return { action: "continue", body: undefined };
    }
    case "respond": {
      const answer: DirectResponse = result.response;
      checkStatus(result.policy, answer.status);
      checkHeaders(result.policy, [], answer.headers);
      return { action: "respond", status: answer.status, headers: rawOf(answer.headers), body: answer.body ?? "" };
    }
    case "failed": {
      const { code, policy, message, retryAfterSeconds } = result.failure;
      return { action: "fault", code, policy, detail: message, retryAfterSeconds };
    }
    default:
      throw new Error(`unexpected response flow outcome ${result.outcome}`);
  }
}

function withoutMarker(metadata: MetadataPairs): MetadataPairs {
  return metadata.filter(([key]) => key !== SSE_METADATA_KEY);
}
