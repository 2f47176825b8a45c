import type { DirectResponse, Header, ResponseHead } from "@portcullis/sdk/component";
import type { Readable } from "node:stream";
import { BodyTooLargeError } from "../proxy/body-limit.js";
import { readBody } from "../proxy/echo.js";
import type { Exchange } from "../proxy/exchange.js";
import type { ErrorResponse, Fault, FlowDecision, FlowRunner } from "../proxy/flow-runner.js";
import { defaultErrorResponse, faultOf } from "../proxy/error-response.js";
import { checkHeaders, checkRequestLine, checkStatus, InvalidPolicyOutput, namesOf } from "./checked-output.js";
import { applyRequestHead, headersOf, rawOf, requestHeadOf, upstreamResponseTask } from "./exchange-heads.js";
import { faultKindOf } from "../errors.js";
import type { FlowResult, PolicyFailure } from "./flow-messages.js";
import type { FlowChains, PlanStep } from "./policy-plan.js";
import type { PolicyRuntime } from "./policy-runtime.js";
import { NEED_NONE, NEED_WHOLE, type NeedCode } from "./body-needs.js";
import { readBodyIfFits } from "./read-body-if-fits.js";
import { clientKeyOf } from "./client-key.js";
import type { EventFlow } from "../proxy/sse-events.js";
import { eventFlowOf } from "./sse-event-flow.js";

/**
 * The gateway's FlowRunner backed by the policy runtime. Semantics (docs/policies.md):
 * - the listener-level request chain and, once the route is known, the route, operation and
 *   backend chains run as ONE worker task; a flow with no policy returns undefined (no task);
 * - a policy's direct response skips the upstream; one with status >= 400 is a fault
 *   (`policy-rejected`) and goes through the fault flow;
 * - every response the client gets, from the upstream, a policy or the gateway's own errors,
 *   goes through the response flow, so headers such as CORS reach a 401 or a 502 too;
 * - a fault flow or a response flow that fails on an error response leaves it as it was
 *   (no recursion).
 */
export class PolicyFlows implements FlowRunner {
  /** Requests whose body was too large for `whole-if-fits` policies and streams instead. */
  readonly #requestTooLarge = new WeakSet<Exchange>();
  /** Per plan chains object (one per listener, route and method): the request tasks' steps. */
  readonly #stepsOf = new WeakMap<FlowChains, TaskSteps>();

  constructor(
    private readonly runtime: PolicyRuntime,
    private readonly maxBodyBytes: number,
  ) {}

  onListenerRequest(ex: Exchange): Promise<FlowDecision> | undefined {
    const chain = this.runtime.listenerRequestChain(ex.listener.name);
    return chain.length === 0 ? undefined : this.#listenerRequest(ex, chain);
  }

  onRouteRequest(ex: Exchange): Promise<FlowDecision> | undefined {
    const chain = this.runtime.chains(ex.listener.name, ex.route!.name, ex.method).request;
    return chain.length === 0 ? undefined : this.#routeRequest(ex, chain);
  }

  onUpstreamResponse(ex: Exchange): Promise<FlowDecision> | undefined {
    const chain = this.#chains(ex).response;
    return chain.length === 0 ? undefined : this.#upstreamResponse(ex, chain);
  }

  onUpstreamEvents(ex: Exchange): EventFlow | undefined {
    const chain = this.#chains(ex).response;
    if (chain.length === 0) return undefined;
    const step = eventFlowOf(this.runtime, ex, chain, (task, steps) => this.#run(ex, task, steps, clientKeyOf(ex)));
    return step && { step, maxEventBytes: this.maxBodyBytes };
  }

  onFault(ex: Exchange, fault: Fault, response: ErrorResponse): Promise<ErrorResponse> | undefined {
    const chains = this.#chains(ex);
    if (chains.fault.length === 0 && chains.response.length === 0) return undefined;
    return this.#fault(ex, fault, response, chains.fault);
  }

  onGatewayResponse(ex: Exchange, response: ErrorResponse): Promise<ErrorResponse> | undefined {
    if (this.#chains(ex).response.length === 0) return undefined;
    return this.#responseOnGatewayAnswer(ex, response).catch((error: unknown) => {
      if (!(error instanceof InvalidPolicyOutput)) throw error;
      // The fault flow would run the same response chain again: answer with the default error.
      ex.faultCode = "PCS_ERR_POLICY_INVALID_OUTPUT";
      ex.faultDetail = error.message;
      return defaultErrorResponse(faultOf("PCS_ERR_POLICY_INVALID_OUTPUT"), ex.requestId);
    });
  }

  /**
   * The listener chain and, in the same task, the request chain of the route the pipeline selected
   * (ex.selection), unless a listener policy changes what selection reads (outcome `reroute`): the
   * pipeline then selects again and asks for the route's chain on its own.
   */
  async #listenerRequest(ex: Exchange, chain: PlanStep[]): Promise<FlowDecision> {
    const selection = ex.selection;
    const route = selection?.kind === "matched" ? selection.route.name : undefined;
    const { all, steps } = this.#taskSteps(ex, route, chain).listenerTask;
    const need = this.runtime.requestBodyNeed(all);
    if (need !== NEED_NONE) {
      const refused = await this.#bufferRequestBody(ex, need);
      if (refused) return refused;
    }
    const result = await this.#run(
      ex,
      {
        flow: "request",
        listener: ex.listener.name,
        withListenerChain: true,
        route,
        head: requestHeadOf(ex),
        body: ex.requestBody,
        bodyTooLarge: this.#requestTooLarge.has(ex),
        metadata: ex.metadata ?? [],
      },
      steps,
      clientKeyOf(ex),
      all,
    );
    ex.metadata = result.metadata;
    if (result.outcome === "reroute") {
      try {
        applyRequestHead(ex, checkedRequestHead(ex, result.head, chain));
      } catch (error) {
        if (error instanceof InvalidPolicyOutput) return invalidOutput(error);
        throw error;
      }
      if (result.body) setRequestBody(ex, result.body);
      return CONTINUE;
    }
    const decision = await this.#afterRequest(ex, result, all);
    return decision.action === "continue" ? ROUTE_FLOW_RAN : decision;
  }

  async #routeRequest(ex: Exchange, chain: PlanStep[]): Promise<FlowDecision> {
    const need = this.runtime.requestBodyNeed(chain);
    if (need !== NEED_NONE) {
      const refused = await this.#bufferRequestBody(ex, need);
      if (refused) return refused;
    }
    const result = await this.#run(
      ex,
      {
        flow: "request",
        listener: ex.listener.name,
        withListenerChain: false,
        route: ex.route!.name,
        head: requestHeadOf(ex),
        body: ex.requestBody,
        bodyTooLarge: this.#requestTooLarge.has(ex),
        metadata: ex.metadata ?? [],
      },
      this.#taskSteps(ex, ex.route!.name, this.runtime.listenerRequestChain(ex.listener.name)).routeTask,
      clientKeyOf(ex),
      chain,
    );
    ex.metadata = result.metadata;
    return this.#afterRequest(ex, result, chain);
  }

  async #afterRequest(ex: Exchange, result: FlowResult, chain: PlanStep[]): Promise<FlowDecision> {
    try {
      return await this.#applyRequest(ex, result, chain);
    } catch (error) {
      if (error instanceof InvalidPolicyOutput) return invalidOutput(error);
      throw error;
    }
  }

  async #applyRequest(ex: Exchange, result: FlowResult, chain: PlanStep[]): Promise<FlowDecision> {
    switch (result.outcome) {
      case "continue": {
        if (result.head) {
          const head = result.head as Parameters<typeof applyRequestHead>[1];
          const policy = namesOf(chain);
          checkRequestLine(policy, head.method, head.path, head.query);
          checkHeaders(policy, headersOf(ex.rawHeaders), head.headers);
          applyRequestHead(ex, head);
        }
        if (result.body) setRequestBody(ex, result.body);
        return CONTINUE;
      }
      case "respond":
        return this.#directResponse(ex, result.response, result.policy);
      case "answered": {
        // The worker ran the fault and response chains on the policy's answer in the same task.
        if (result.invalid !== undefined) ex.faultDetail = result.invalid;
        const final = checkedAnswer(result.policy, [], result.response);
        if (!result.rejected) return { action: "respond", ...final };
        return { action: "fault", code: "PCS_ERR_POLICY_REJECTED", policy: result.policy, response: final, faultFlowRan: true };
      }
      case "failed":
        return faultOfFailure(result.failure);
      default:
        throw new Error(`unexpected request flow outcome ${result.outcome}`);
    }
  }

  /** A policy answered: a rejection goes to the fault flow, anything else through the response flow. */
  async #directResponse(ex: Exchange, response: DirectResponse, policy: string): Promise<FlowDecision> {
    const rendered = checkedAnswer(policy, [], response);
    if (response.status >= 400) return { action: "fault", code: "PCS_ERR_POLICY_REJECTED", policy, response: rendered };
    try {
      const final = await this.#responseOnGatewayAnswer(ex, rendered);
      return { action: "respond", status: final.status, headers: final.headers, body: final.body };
    } catch (error) {
      if (error instanceof InvalidPolicyOutput) return invalidOutput(error);
      throw error;
    }
  }

  async #upstreamResponse(ex: Exchange, chain: PlanStep[]): Promise<FlowDecision> {
    let body: Uint8Array | undefined;
    const need = this.runtime.responseBodyNeed(chain);
    if (need !== NEED_NONE) {
      try {
        // Too large for `whole-if-fits` only: the flow runs without the body, which then streams.
        body =
          need === NEED_WHOLE
            ? await readBody(ex.upstreamBody as Readable as never, this.maxBodyBytes)
            : await readBodyIfFits(ex.upstreamBody!, this.maxBodyBytes);
      } catch (error) {
        return { action: "fault", code: error instanceof BodyTooLargeError ? "PCS_ERR_RESPONSE_TOO_LARGE" : "PCS_ERR_UPSTREAM_RESET" };
      }
    }
    const result = await this.#run(ex, upstreamResponseTask(ex, body, ex.metadata ?? []), chain, clientKeyOf(ex));
    ex.metadata = result.metadata;
    try {
      return this.#applyUpstreamResponse(ex, result, chain, body);
    } catch (error) {
      if (error instanceof InvalidPolicyOutput) return invalidOutput(error);
      throw error;
    }
  }

  #applyUpstreamResponse(ex: Exchange, result: FlowResult, chain: PlanStep[], body: Uint8Array | undefined): FlowDecision {
    switch (result.outcome) {
      case "continue": {
        const head = result.head as ResponseHead | undefined;
        if (head) {
          checkStatus(namesOf(chain), head.status);
          checkHeaders(namesOf(chain), headersOf(ex.responseHeaders ?? []), head.headers);
          ex.responseStatus = head.status;
          ex.responseHeaders = rawOf(head.headers);
        }
        const finalBody = result.body ?? body;
        if (finalBody === undefined) return CONTINUE;
        return { action: "respond", status: ex.responseStatus, headers: withoutLength(ex.responseHeaders ?? []), body: finalBody };
      }
      case "respond": {
        const r = checkedAnswer(result.policy, [], result.response);
        return { action: "respond", ...r };
      }
      case "failed":
        return faultOfFailure(result.failure);
      default:
        throw new Error(`unexpected response flow outcome ${result.outcome}`);
    }
  }

  /**
   * The fault chain, then the response chain on what it made. With both chains they run in one
   * crossing (the worker hands back the final response); when the fault chain fails, the error
   * stands and the response chain runs on it alone.
   */
  async #fault(ex: Exchange, fault: Fault, response: ErrorResponse, chain: PlanStep[]): Promise<ErrorResponse> {
    let shaped = response;
    if (chain.length > 0) {
      const body = typeof response.body === "string" ? Buffer.from(response.body) : response.body;
      const responseChain = this.#chains(ex).response;
      const both = responseChain.length > 0;
      const steps = both ? [...chain, ...responseChain] : chain;
      const result = await this.#run(
        ex,
        {
          flow: "fault",
          listener: ex.listener.name,
          route: ex.route?.name,
          request: requestHeadOf(ex),
          fault: { kind: faultKindOf(fault.code), status: fault.status, code: fault.code, policy: fault.policy, message: fault.message },
          response: { status: response.status, headers: headersOf(response.headers) },
          body,
          metadata: ex.metadata ?? [],
          thenResponse: both,
        },
        steps,
        clientKeyOf(ex),
      );
      ex.metadata = result.metadata;
      if (both && result.outcome !== "failed") return orUnchanged(ex, () => applyToGatewayAnswer(result, { ...response, body }, steps), response);
      // Failed or invalid: the error being shaped stands (no second fault flow, no recursion).
      shaped = await orUnchanged(ex, () => applyToGatewayAnswer(result, { ...response, body }, chain), response);
    }
    return orUnchanged(ex, () => this.#responseOnGatewayAnswer(ex, shaped), shaped);
  }

  /** The response flow over a response the gateway made (echo, direct response, a policy's answer, an error). */
  async #responseOnGatewayAnswer(ex: Exchange, response: ErrorResponse): Promise<ErrorResponse> {
    const chain = this.#chains(ex).response;
    if (chain.length === 0) return response;
    const body = typeof response.body === "string" ? Buffer.from(response.body) : response.body;
    const result = await this.#run(
      ex,
      {
        flow: "response",
        listener: ex.listener.name,
        route: ex.route?.name,
        request: requestHeadOf(ex),
        response: { status: response.status, headers: headersOf(response.headers) },
        body: this.runtime.responseBodyNeed(chain) !== NEED_NONE ? body : undefined,
        metadata: ex.metadata ?? [],
      },
      chain,
      clientKeyOf(ex),
    );
    ex.metadata = result.metadata;
    return applyToGatewayAnswer(result, { ...response, body }, chain);
  }

  /** Runs one flow task; the gateway's observers (host/src/observability) hear what each policy did. */
  /** `chain`: the steps observers see unless the task ran the chains on a policy's answer too (all of `steps`). */
  async #run(ex: Exchange, task: Parameters<PolicyRuntime["run"]>[0], steps: PlanStep[], client: string, chain = steps): Promise<FlowResult> {
    const observer = ex.listener.gateway.observer;
    if (observer?.wantsCallDetail(ex)) task.callDetail = true;
    const result = await this.runtime.run(task, steps, client);
    observer?.onPolicyFlow(ex, task.flow, result.outcome === "answered" ? steps : chain, result);
    return result;
  }

  /** The steps of the request tasks for (listener, route, method), computed once per chain (see TaskSteps). */
  #taskSteps(ex: Exchange, route: string | undefined, listenerChain: PlanStep[]): TaskSteps {
    const chains = this.runtime.chains(ex.listener.name, route, ex.method);
    let known = this.#stepsOf.get(chains);
    if (!known) {
      const unrouted = this.runtime.chains(ex.listener.name, undefined, ex.method);
      const all = route === undefined ? listenerChain : [...listenerChain, ...chains.request];
      known = {
        routeTask: withAnswerChains(chains.request, answerChains(chains)),
        listenerTask: { all, steps: withAnswerChains(all, answerChains(unrouted), route === undefined ? [] : answerChains(chains)) },
      };
      this.#stepsOf.set(chains, known);
    }
    return known;
  }

  #chains(ex: Exchange) {
    return this.runtime.chains(ex.listener.name, ex.route?.name, ex.method);
  }

  /**
   * Buffers the request body for policies that need it, once per request. Past the limit: 413 when
   * a policy needs the `whole` body; with `whole-if-fits` only, the body streams and the flow runs
   * without it.
   */
  async #bufferRequestBody(ex: Exchange, need: NeedCode): Promise<FlowDecision | undefined> {
    if (ex.requestBody !== undefined) return undefined;
    if (this.#requestTooLarge.has(ex)) return need === NEED_WHOLE ? { action: "fault", code: "PCS_ERR_BODY_TOO_LARGE" } : undefined;
    const limit = Math.min(this.maxBodyBytes, ex.route?.maxBodyBytes ?? ex.listener.config.limits.maxBodyBytes);
    try {
      if (need === NEED_WHOLE) ex.requestBody = await readBody(ex.req, limit);
      else {
        ex.requestBody = await readBodyIfFits(ex.req, limit);
        if (ex.requestBody === undefined) this.#requestTooLarge.add(ex);
      }
      return undefined;
    } catch (error) {
      return { action: "fault", code: error instanceof BodyTooLargeError ? "PCS_ERR_BODY_TOO_LARGE" : "PCS_ERR_BAD_REQUEST" };
    }
  }
}

const CONTINUE: FlowDecision = Object.freeze({ action: "continue" });

/**
 * The steps a request task covers (its budget, quarantine and observers): a route task runs the route's
 * request chain; a listener task the listener chain and the selected route's request chain (`all`).
 * Either may also run the fault and response chains on a policy's answer (run-flow.ts #answered).
 */
interface TaskSteps {
  routeTask: PlanStep[];
  listenerTask: { all: PlanStep[]; steps: PlanStep[] };
}

/** The fault and response chains a worker may run on a request policy's answer. */
const answerChains = (chains: FlowChains): PlanStep[] => [...chains.fault, ...chains.response];

/**
 * A request chain with the fault and response steps the same task may run on an answer, each once:
 * the task's budget and quarantine cover them, and observers see their calls.
 */
function withAnswerChains(chain: PlanStep[], ...onAnswer: PlanStep[][]): PlanStep[] {
  const steps = [...chain];
  for (const step of onAnswer.flat()) if (!steps.some((s) => s.instance === step.instance)) steps.push(step);
  return steps;
}
const ROUTE_FLOW_RAN: FlowDecision = Object.freeze({ action: "continue", routeFlowRan: true });

/**
 * A response or fault flow's result applied to a response the gateway made. A failed flow leaves
 * the response as it was: no second fault flow, no recursion.
 */
function applyToGatewayAnswer(result: FlowResult, response: ErrorResponse, chain: PlanStep[]): ErrorResponse {
  if (result.outcome === "continue") {
    const head = result.head as ResponseHead | undefined;
    if (!head) return { ...response, body: result.body ?? response.body };
    return { ...checkedAnswer(namesOf(chain), headersOf(response.headers), head), body: result.body ?? response.body };
  }
  if (result.outcome === "respond") return checkedAnswer(result.policy, [], result.response);
  return response;
}

/** A status and headers a policy returned, checked (checked-output.ts), as the pipeline sends them. */
function checkedAnswer(policy: string, before: Header[], answer: ResponseHead & { body?: Uint8Array | string }): ErrorResponse {
  checkStatus(policy, answer.status);
  checkHeaders(policy, before, answer.headers);
  return { status: answer.status, headers: rawOf(answer.headers), body: answer.body ?? "" };
}

function checkedRequestHead<T extends Parameters<typeof applyRequestHead>[1]>(ex: Exchange, head: T, chain: PlanStep[]): T {
  checkRequestLine(namesOf(chain), head.method, head.path, head.query);
  checkHeaders(namesOf(chain), headersOf(ex.rawHeaders), head.headers);
  return head;
}

function invalidOutput(error: InvalidPolicyOutput): FlowDecision {
  return { action: "fault", code: "PCS_ERR_POLICY_INVALID_OUTPUT", policy: error.policy, detail: error.message };
}

/** Runs a shaping step on an error response; invalid policy output leaves the response as it was. */
async function orUnchanged(ex: Exchange, shape: () => ErrorResponse | Promise<ErrorResponse>, unchanged: ErrorResponse): Promise<ErrorResponse> {
  try {
    return await shape();
  } catch (error) {
    if (!(error instanceof InvalidPolicyOutput)) throw error;
    ex.faultDetail = error.message;
    return unchanged;
  }
}

/** A body replaced by a policy: Content-Length follows it, Transfer-Encoding goes. */
function setRequestBody(ex: Exchange, body: Uint8Array): void {
  ex.requestBody = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  ex.rawHeaders = [...withoutLength(ex.rawHeaders), "content-length", String(body.byteLength)];
}

function withoutLength(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name !== "content-length" && name !== "transfer-encoding") out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

function faultOfFailure({ code, policy, message, retryAfterSeconds }: PolicyFailure): FlowDecision {
  return { action: "fault", code, policy, detail: message, retryAfterSeconds };
}
