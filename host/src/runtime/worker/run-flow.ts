import type {
  Fault,
  FlowError,
  MetadataEntry,
  PolicyInstance,
  PolicyRequest,
  RequestDecision,
  RequestHead,
  ResponseDecision,
  ResponseHead,
  Result,
} from "@portcullis/sdk/component";
import { compileExpression, evaluateCondition, type CompiledExpression } from "../../capabilities/expression/cel.js";
import { expressionContextFrom, type ExpressionContext } from "../../capabilities/expression/expression-context.js";
import { setFlowScope } from "../../capabilities/flow-scope.js";
import { canonicalPath, type PathRefusal } from "../../routing/normalize-path.js";
import type {
  CallRecord,
  FaultTask,
  FlowResult,
  FlowResultBase,
  PolicyFailure,
  RequestTask,
  ResponseTask,
  WarmUpFailure,
  WarmUpReport,
  WorkerSetup,
} from "../flow-messages.js";
import { chainsFor, type FlowChains, type PlanStep } from "../policy-plan.js";
import { threadId } from "node:worker_threads";
import { markFinished, markRunning, markStarted, pauseBudget, resumeBudget } from "../flow-deadline.js";
import {
  MAX_CALLS_PER_FLOW,
  openCallQueue,
  performCall,
  performCallBlocking,
  takeCallQueue,
  type CallAnswer,
  type QueuedCall,
} from "../../capabilities/http/call-outs.js";
import { applyHeaderEdits, applyMetadataEdits } from "./edits.js";
import { InstanceError, InstancePool } from "./instances.js";
import { trapMessage } from "./trap-message.js";
import { checkHeaders, checkStatus, namesOf } from "../checked-output.js";
import { ERRORS } from "../../errors.js";
import { epochNow, timingOf, type CallTiming } from "../../observability/call-detail.js";

/**
 * Runs one flow's whole chain inside a worker: one task per flow, never one per policy.
 * Each step may be skipped by its `when:` condition; a policy that fails is either the end of
 * the flow (failure mode closed) or skipped and reported (open).
 */
/** The answer to a task the gateway abandoned while it was queued; nobody reads it. */
const ABANDONED_RESULT: FlowResult = Object.freeze({
  outcome: "failed",
  failure: { code: "PCS_ERR_POLICY_POOL_BUSY", policy: "", instance: -1, message: "abandoned while queued" },
  metadata: [],
  calls: [],
  skipped: [],
}) as FlowResult;

export class FlowExecutor {
  readonly #instances: InstancePool;
  readonly #conditions: (CompiledExpression | undefined)[] = [];
  /** The environment as expressions see it, read once: copying process.env per evaluation was most of an evaluation's cost. */
  readonly #env: Record<string, string> = environmentSnapshot();
  readonly #progress: Int32Array;
  #slot = -1;
  #callDetail = false;

  /**
   * `asyncCallOuts`: a flow waiting for its policies' call-outs (http.dispatch) lets this thread run
   * other flows (a piscina worker); otherwise the calls are made blocking (the direct channel).
   */
  constructor(
    private readonly setup: WorkerSetup,
    private readonly options: { asyncCallOuts: boolean } = { asyncCallOuts: false },
  ) {
    this.#instances = new InstancePool(setup, () => this.#slot);
    this.#progress = new Int32Array(setup.progress);
  }

  /** Creates and initialises every instance of the plan in this worker; returns their body needs and failures. */
  warmUp(): WarmUpReport {
    this.#slot = -1; // no flow's clock to pause while creating
    const failures: WarmUpFailure[] = [];
    const needs = this.setup.plan.instances.map((planned, index) => {
      try {
        this.#instances.get(index, planned.plugin);
        return this.#instances.answer(index);
      } catch (error) {
        failures.push({ instance: index, message: describe(error) });
        return undefined;
      }
    });
    return { failures, needs };
  }

  /** A promise only while a request flow waits for call-outs, and only with `asyncCallOuts`. */
  run(task: RequestTask | ResponseTask | FaultTask): FlowResult | Promise<FlowResult> {
    this.#slot = task.slot;
    this.#callDetail = task.callDetail === true;
    if (!markStarted(this.#progress, task.slot, threadId)) return ABANDONED_RESULT;
    const finished = (result: FlowResult): FlowResult => {
      markFinished(this.#progress, task.slot);
      return result;
    };
    try {
      const result = this.#flow(task);
      return result instanceof Promise ? result.then(finished) : finished(result);
    } finally {
      setFlowScope(undefined);
    }
  }

  #flow(task: RequestTask | ResponseTask | FaultTask): FlowResult | Promise<FlowResult> {
    switch (task.flow) {
      case "request":
        return this.#request(task);
      case "response":
        return this.#response(task);
      case "fault":
        return this.#fault(task);
    }
  }

  #request(task: RequestTask): FlowResult | Promise<FlowResult> {
    const state = new FlowState(task.head, task.body, task.metadata);
    const listener = this.setup.plan.listeners[task.listener];
    if (!listener) throw new Error(`unknown listener "${task.listener}"`);
    if (task.withListenerChain) {
      const ended = this.#runRequestSteps(listener.listenerRequest, state, task.quarantined);
      if (ended instanceof Promise) return ended.then((done) => (done ? this.#answered(task, undefined, done) : this.#routed(task, state)));
      if (ended) return this.#answered(task, undefined, ended);
    }
    return this.#routed(task, state);
  }

  /**
   * The rest of a request flow after its listener chain: the chain of the route the gateway selected,
   * unless the listener chain changed what selection reads (outcome reroute).
   */
  #routed(task: RequestTask, state: FlowState): FlowResult | Promise<FlowResult> {
    const listener = this.setup.plan.listeners[task.listener]!;
    if (task.withListenerChain && changesRouting(task.head, state.head, listener.routingHeaders)) {
      return state.result({ outcome: "reroute", head: state.head, body: state.bodyIfChanged() });
    }
    // Only a changed head crosses back: headers are most of what a flow copies between threads.
    const finish = (ended: EndedEarly | undefined): FlowResult =>
      ended ? this.#answered(task, task.route, ended) : state.result({ outcome: "continue", head: state.changedHead(), body: state.bodyIfChanged() });
    if (task.route === undefined) return finish(undefined);
    state.head = { ...state.head, route: task.route }; // for the route's policies; not a change to send back
    const ended = this.#runRequestSteps(this.#chains(task.listener, task.route, state.head.method).request, state, task.quarantined);
    return ended instanceof Promise ? ended.then(finish) : finish(ended);
  }

  #response(task: ResponseTask): FlowResult {
    const state = new FlowState(task.request, task.body, task.metadata);
    const chain = this.#chains(task.listener, task.route, task.request.method).response;
    return this.#runResponseSteps(chain, state, task.response, task.quarantined, this.#onResponse(task.request, state));
  }

  /** Calls a response policy with the body only when its configuration asked for it. */
  #onResponse(request: RequestHead, state: FlowState) {
    const needs = this.#instances.bodyNeeds;
    return (instance: PolicyInstance, response: ResponseHead, step: PlanStep) =>
      instance.onResponse({ request, head: response, body: needs.seesResponseBody(step.instance) ? state.body : undefined, metadata: state.entries() });
  }

  #fault(task: FaultTask): FlowResult {
    const state = new FlowState(task.request, task.body, task.metadata);
    const chains = this.#chains(task.listener, task.route, task.request.method);
    return this.#shapeError(chains, state, task.request, task.fault, task.response, task.quarantined, task.thenResponse === true);
  }

  /** The fault chain on an error response, then (`thenResponse`) the response chain on what it made. */
  #shapeError(
    chains: FlowChains,
    state: FlowState,
    request: RequestHead,
    fault: Fault,
    response: ResponseHead,
    quarantined: number[],
    thenResponse: boolean,
  ): FlowResult {
    const shaped = this.#runResponseSteps(chains.fault, state, response, quarantined, (instance, head) =>
      instance.onFault({ request, fault, response: head, body: state.body ?? EMPTY, metadata: state.entries() }),
    );
    if (!thenResponse || shaped.outcome === "failed") return shaped;
    // The response chain on the fault chain's answer, as the gateway would send it, without a second crossing.
    let head: ResponseHead = response;
    if (shaped.outcome === "respond") {
      head = { status: shaped.response.status, headers: shaped.response.headers };
      state.replaceBody(shaped.response.body ?? EMPTY);
    } else if (shaped.outcome === "continue" && shaped.head) {
      head = shaped.head as ResponseHead;
    }
    const faultBody = state.bodyIfChanged();
    const final = this.#runResponseSteps(chains.response, state, head, quarantined, this.#onResponse(request, state));
    // A failing response chain leaves the fault chain's answer as it was (as in two crossings).
    if (final.outcome === "failed") return state.result({ outcome: "continue", head, body: faultBody });
    return final.outcome === "continue" ? { ...final, head: final.head ?? head, body: state.bodyIfChanged() } : final;
  }

  /**
   * A policy's direct answer, and in the same crossing the chains the gateway runs on it next: under
   * 400 the response chain; a rejection the fault chain, then the response chain on what it made. As in
   * separate crossings, a chain that fails or returns what the gateway's checks refuse leaves the answer
   * as it was (`invalid` says why). An answer the checks refuse, or one with no chain to run, goes back
   * as it is.
   */
  #answered(task: RequestTask, route: string | undefined, ended: EndedEarly): FlowResult {
    if (ended.outcome !== "respond") return ended;
    const answer = ended.response;
    const rejected = answer.status >= 400;
    const chains = this.#chains(task.listener, route, task.head.method);
    if (chains.response.length === 0 && (!rejected || chains.fault.length === 0)) return ended;
    if (invalidAnswer(ended.policy, [], answer) !== undefined) return ended; // the gateway reports it
    const request: RequestHead = { ...task.head, route: route ?? "" };
    const state = new FlowState(request, answer.body, ended.metadata);
    state.calls.push(...ended.calls);
    state.skipped.push(...ended.skipped);
    let current: Answer = { status: answer.status, headers: answer.headers, body: answer.body };
    let invalid: string | undefined;
    const shape = (steps: readonly PlanStep[], invoke: ResponseInvoke): void => {
      state.replaceBody(current.body);
      const result = this.#runResponseSteps(steps, state, current, task.quarantined, invoke);
      const next = answerAfter(result, current, state);
      if (next === undefined) return; // failed: the answer stands
      const problem = invalidAnswer(result.outcome === "respond" ? result.policy : namesOf(steps), result.outcome === "respond" ? [] : current.headers, next);
      if (problem === undefined) current = next;
      else invalid ??= problem;
    };
    if (rejected && chains.fault.length > 0) {
      const fault: Fault = {
        kind: "policy-rejected",
        status: answer.status,
        code: "PCS_ERR_POLICY_REJECTED",
        policy: ended.policy,
        message: ERRORS.PCS_ERR_POLICY_REJECTED.meaning,
      };
      shape(chains.fault, (instance, head) => instance.onFault({ request, fault, response: head, body: state.body ?? EMPTY, metadata: state.entries() }));
    }
    shape(chains.response, this.#onResponse(request, state));
    return state.result({ outcome: "answered", policy: ended.policy, rejected, response: current, invalid });
  }

  #canonicalPath(listener: string, path: string): string | PathRefusal {
    if (!path.startsWith("/")) return { refused: "not an absolute path" };
    const paths = this.setup.listeners.find((l) => l.name === listener)?.paths;
    return paths ? canonicalPath(path, paths) : { refused: `unknown listener "${listener}"` };
  }

  /**
   * Runs request steps; returns a result when the flow ended early (respond or failure). A promise
   * when a policy dispatched calls (and `asyncCallOuts`): the flow waits at that policy for them.
   */
  #runRequestSteps(steps: readonly PlanStep[], state: FlowState, quarantined: number[]): Ended | Promise<Ended> {
    for (const [index, step] of steps.entries()) {
      const run = this.#shouldRun(step, state, undefined);
      if (run !== true) {
        if (run === false) continue;
        return state.result({ outcome: "failed", failure: run });
      }
      const queued: QueuedCall[] = [];
      const outcome = this.#call(step, state, quarantined, (instance) =>
        this.#dispatching(state, queued, () => instance.onRequest(this.#policyRequest(step, state))),
      );
      const ended = this.#decided(step, state, outcome);
      if (ended) return ended;
      if (outcome === undefined || queued.length === 0) continue;
      const rest = steps.slice(index + 1);
      const settled = this.#settle(step, state, quarantined, queued);
      if (settled instanceof Promise) return settled.then((done) => done ?? this.#runRequestSteps(rest, state, quarantined));
      return settled ?? this.#runRequestSteps(rest, state, quarantined);
    }
    return undefined;
  }

  #policyRequest(step: PlanStep, state: FlowState): PolicyRequest {
    return { head: state.head, body: this.#instances.bodyNeeds.seesRequestBody(step.instance) ? state.body : undefined, metadata: state.entries() };
  }

  /** Applies a request-flow decision; returns how the flow ended, or undefined when it goes on (also when the policy was skipped). */
  #decided(step: PlanStep, state: FlowState, outcome: { value: RequestDecision } | { failure: PolicyFailure } | undefined): Ended {
    if (outcome === undefined) return undefined;
    const ended = endedBy(step, state, outcome);
    if (ended || "failure" in outcome || outcome.value.tag === "respond") return ended;
    const edits = outcome.value.val;
    // A written path is canonicalised as a client's is, before the next policy or routing reads it.
    const path = edits.path === undefined ? state.head.path : this.#canonicalPath(state.head.listener, edits.path);
    if (typeof path !== "string") return state.result({ outcome: "failed", failure: invalidPath(step, path.refused) });
    if (edits.method !== undefined || edits.path !== undefined || edits.query !== undefined || edits.headers.length > 0) {
      state.headChanged = true;
      state.head = {
        ...state.head,
        method: edits.method ?? state.head.method,
        path,
        query: edits.query ?? state.head.query,
        headers: applyHeaderEdits(state.head.headers, edits.headers),
      };
    }
    if (edits.body !== undefined) state.replaceBody(edits.body);
    applyMetadataEdits(state.metadata, edits.metadata);
    return undefined;
  }

  /** Runs a policy call that may dispatch: what it queued goes to `queued` (within the flow's allowance). */
  #dispatching<T>(state: FlowState, queued: QueuedCall[], call: () => T): T {
    openCallQueue(MAX_CALLS_PER_FLOW - state.callsQueued);
    try {
      return call();
    } finally {
      const taken = takeCallQueue();
      state.callsQueued += taken.length;
      queued.push(...taken);
    }
  }

  /**
   * Performs the calls a policy queued and hands each answer to its on-call-result, in the order
   * queued, round after round while it queues more. Undefined: its turn is over, the chain goes on.
   */
  #settle(step: PlanStep, state: FlowState, quarantined: number[], queued: QueuedCall[]): Ended | Promise<Ended> {
    if (!this.options.asyncCallOuts) {
      for (let round = queued; ; ) {
        const next = this.#deliver(
          step,
          state,
          quarantined,
          round,
          round.map((q) => performCallBlocking(q.call)),
        );
        if (!Array.isArray(next)) return next.ended;
        round = next;
      }
    }
    return this.#settleWaiting(step, state, quarantined, queued);
  }

  /** #settle in a worker that runs other flows meanwhile; the wait is not charged to the flow's budget. */
  async #settleWaiting(step: PlanStep, state: FlowState, quarantined: number[], queued: QueuedCall[]): Promise<Ended> {
    const [slot, callDetail] = [this.#slot, this.#callDetail];
    for (let round = queued; ; ) {
      const spent = pauseBudget(this.#progress, slot);
      const answers = await Promise.all(round.map((q) => performCall(q.call)));
      // Other flows ran meanwhile: this one's task state is restored before its policy runs again.
      [this.#slot, this.#callDetail] = [slot, callDetail];
      resumeBudget(this.#progress, slot, spent);
      const next = this.#deliver(step, state, quarantined, round, answers);
      if (!Array.isArray(next)) return next.ended;
      round = next;
    }
  }

  /** One round of answers to on-call-result; returns the calls queued meanwhile, or how the policy's turn ended. */
  #deliver(step: PlanStep, state: FlowState, quarantined: number[], round: QueuedCall[], answers: CallAnswer[]): QueuedCall[] | { ended: Ended } {
    const next: QueuedCall[] = [];
    for (const [i, { id }] of round.entries()) {
      const outcome = this.#call(step, state, quarantined, (instance) =>
        this.#dispatching(state, next, () => instance.onCallResult?.(this.#policyRequest(step, state), id, answers[i]!) ?? NO_CALL_RESULT),
      );
      if (outcome === undefined) return { ended: undefined }; // failed open: skipped, its other answers dropped
      const ended = this.#decided(step, state, outcome);
      if (ended) return { ended };
    }
    return next.length > 0 ? next : { ended: undefined };
  }

  #runResponseSteps(steps: readonly PlanStep[], state: FlowState, initial: ResponseHead, quarantined: number[], invoke: ResponseInvoke): FlowResult {
    let response = initial;
    let headChanged = false;
    for (const step of steps) {
      const run = this.#shouldRun(step, state, response);
      if (run !== true) {
        if (run === false) continue;
        return state.result({ outcome: "failed", failure: run });
      }
      const outcome = this.#call(step, state, quarantined, (instance) => invoke(instance, response, step));
      if (outcome === undefined) continue;
      const ended = endedBy(step, state, outcome);
      if (ended || "failure" in outcome || outcome.value.tag === "respond") return ended!;
      const edits = outcome.value.val;
      if (edits.status !== undefined || edits.headers.length > 0) {
        response = { status: edits.status ?? response.status, headers: applyHeaderEdits(response.headers, edits.headers) };
        headChanged = true;
      }
      if (edits.body !== undefined) state.replaceBody(edits.body);
      applyMetadataEdits(state.metadata, edits.metadata);
    }
    return state.result({ outcome: "continue", head: headChanged ? response : undefined, body: state.bodyIfChanged() });
  }

  /**
   * Calls one policy. Returns its decision, a failure that ends the flow, or undefined when the
   * policy failed open and is skipped.
   */
  #call<T>(
    step: PlanStep,
    state: FlowState,
    quarantined: number[],
    invoke: (instance: PolicyInstance) => Result<T, FlowError>,
  ): { value: T } | { failure: PolicyFailure } | undefined {
    let outcome: Result<T, Omit<PolicyFailure, "policy" | "instance">>;
    let timing: CallTiming | undefined;
    if (quarantined.includes(step.instance)) {
      outcome = fail("PCS_ERR_POLICY_QUARANTINED", "quarantined after repeated failures");
    } else {
      // Built once per call, on the first evaluation: nothing the call sees changes until it returns.
      let context: ExpressionContext | undefined;
      setFlowScope({ requestId: state.head.requestId, expression: () => (context ??= state.expressionContext(this.#env)) });
      markRunning(this.#progress, this.#slot, step.instance);
      const at = epochNow();
      outcome = this.#invoke(step, invoke);
      timing = timingOf(at, outcome, this.#callDetail);
    }
    if (outcome.tag === "ok") {
      state.calls.push({ instance: step.instance, failure: undefined, timing });
      return { value: outcome.val };
    }
    const failure: PolicyFailure = {
      code: outcome.val.code,
      policy: step.name,
      instance: step.instance,
      message: `policy "${step.name}": ${outcome.val.message}`,
    };
    state.calls.push({ instance: step.instance, failure: failure.code, timing });
    if (this.#limitsOf(step).failure === "open") {
      state.skipped.push(failure);
      return undefined;
    }
    return { failure };
  }

  /** One guarded call: instantiation errors, traps, memory overruns and policy errors become failures. */
  #invoke<T>(step: PlanStep, invoke: (instance: PolicyInstance) => Result<T, FlowError>): Result<T, Omit<PolicyFailure, "policy" | "instance">> {
    let instance: PolicyInstance;
    try {
      instance = this.#instances.get(step.instance, step.name);
    } catch (error) {
      const message = error instanceof InstanceError ? error.message : `instantiation failed: ${describe(error)}`;
      return fail("PCS_ERR_POLICY_INIT_FAILED", message);
    }
    let result: Result<T, FlowError>;
    try {
      result = invoke(instance);
    } catch (error) {
      // AssemblyScript's allocator traps (unreachable) when memory.grow fails, so a trap with too
      // little room left under the cap for a typical allocation is reported as running out of memory.
      const cap = this.#instances.memoryCap(step.instance);
      const used = instance.memoryBytes();
      this.#instances.discard(step.instance);
      if (cap - used < Math.max(cap / 8, NEAR_CAP_BYTES)) {
        return fail(
          "PCS_ERR_POLICY_MEMORY",
          `ran out of memory: trapped with ${(used / 2 ** 20).toFixed(1)} of its ${cap >> 20} MiB cap in use (${trapMessage(error)})`,
        );
      }
      return fail("PCS_ERR_POLICY_TRAPPED", trapMessage(error));
    }
    if (instance.memoryBytes() > this.#instances.memoryCap(step.instance)) {
      this.#instances.discard(step.instance);
      return fail("PCS_ERR_POLICY_MEMORY", "its memory grew past its cap");
    }
    if (result.tag === "err") {
      const code = result.val.tag === "unavailable" ? "PCS_ERR_POLICY_UNAVAILABLE" : "PCS_ERR_POLICY_FAILED";
      return fail(code, `${result.val.tag}: ${result.val.val}`);
    }
    return result;
  }

  /**
   * Whether a step's `when:` holds. A condition that cannot be evaluated (an absent key, a type
   * error) never skips the policy: it ends the flow closed, whatever the policy's failure mode.
   */
  #shouldRun(step: PlanStep, state: FlowState, response: ResponseHead | undefined): boolean | PolicyFailure {
    if (step.when === undefined) return true;
    let compiled = this.#conditions[step.when];
    if (!compiled) {
      const parsed = compileExpression(this.setup.plan.conditions[step.when]!);
      if (parsed.tag === "err") return conditionFailure(step, parsed.val.val); // validated at load
      compiled = this.#conditions[step.when] = parsed.val;
    }
    const result = evaluateCondition(compiled, state.expressionContext(this.#env, response));
    return result.tag === "ok" ? result.val : conditionFailure(step, result.val.val);
  }

  #chains(listener: string, route: string | undefined, method: string): FlowChains {
    return chainsFor(this.setup.plan.listeners[listener]!, route, method);
  }

  #limitsOf(step: PlanStep) {
    const planned = this.setup.plan.instances[step.instance]!;
    return this.setup.plugins[planned.plugin]!.limits;
  }
}

const EMPTY = new Uint8Array(0);

/** How a request chain ends before its last policy. */
type EndedEarly = Extract<FlowResult, { outcome: "respond" | "failed" }>;
/** A request chain's end: early, or undefined when it went through. */
type Ended = EndedEarly | undefined;

/** What a policy built against 0.1.0 (no on-call-result) answers to a call; it cannot dispatch, so only after a trap replaced the instance that did. */
const NO_CALL_RESULT: Result<RequestDecision, FlowError> = { tag: "err", val: { tag: "internal", val: "its component has no on-call-result export" } };

/** The request as the chain changes it. */
class FlowState {
  readonly metadata: Map<string, string>;
  readonly calls: CallRecord[] = [];
  readonly skipped: PolicyFailure[] = [];
  /** Calls its policies dispatched so far (at most MAX_CALLS_PER_FLOW). */
  callsQueued = 0;
  #bodyChanged = false;
  headChanged = false;

  constructor(
    public head: RequestHead,
    public body: Uint8Array | undefined,
    metadata: [string, string][],
  ) {
    this.metadata = new Map(metadata);
  }

  entries(): MetadataEntry[] {
    const entries: MetadataEntry[] = [];
    for (const [key, value] of this.metadata) entries.push({ key, value });
    return entries;
  }

  replaceBody(body: Uint8Array): void {
    this.body = body;
    this.#bodyChanged = true;
  }

  changedHead(): RequestHead | undefined {
    return this.headChanged ? this.head : undefined;
  }

  bodyIfChanged(): Uint8Array | undefined {
    return this.#bodyChanged ? this.body : undefined;
  }

  expressionContext(env: Record<string, string>, response?: ResponseHead): ExpressionContext {
    return expressionContextFrom({ request: this.head, response, metadata: this.entries(), env });
  }

  /**
   * A flow result: what every outcome carries, then `rest`. Built as one literal: spreading a
   * fresh object and then adding the outcome's own keys took V8's slow path (about 4 us a flow).
   */
  result<const T extends object>(rest: T): FlowResultBase & T {
    const metadata: [string, string][] = [];
    for (const entry of this.metadata) metadata.push(entry);
    return { metadata, calls: this.calls, skipped: this.skipped, ...rest };
  }
}

/** A response as a chain on a policy's answer leaves it. */
type Answer = ResponseHead & { body: Uint8Array };

type ResponseInvoke = (instance: PolicyInstance, response: ResponseHead, step: PlanStep) => Result<ResponseDecision, FlowError>;

/** The answer after a response or fault chain's result; undefined when the chain failed. */
function answerAfter(result: FlowResult, current: Answer, state: FlowState): Answer | undefined {
  if (result.outcome === "respond") return { status: result.response.status, headers: result.response.headers, body: result.response.body };
  if (result.outcome !== "continue") return undefined;
  const head = (result.head as ResponseHead | undefined) ?? current;
  return { status: head.status, headers: head.headers, body: state.body ?? current.body };
}

/** Why the gateway's checks (checked-output.ts) refuse an answer, or undefined. */
function invalidAnswer(policy: string, before: ResponseHead["headers"], answer: ResponseHead): string | undefined {
  try {
    checkStatus(policy, answer.status);
    checkHeaders(policy, before, answer.headers);
    return undefined;
  } catch (error) {
    return describe(error);
  }
}

/** How a flow ends at a policy that failed or answered; undefined when it let the flow go on. */
function endedBy(
  step: PlanStep,
  state: FlowState,
  outcome: { value: RequestDecision | ResponseDecision } | { failure: PolicyFailure },
): EndedEarly | undefined {
  if ("failure" in outcome) return state.result({ outcome: "failed", failure: outcome.failure });
  const decision = outcome.value;
  if (decision.tag !== "respond") return undefined;
  applyMetadataEdits(state.metadata, decision.val.metadata);
  return state.result({ outcome: "respond", response: decision.val, policy: step.name });
}

function fail(code: PolicyFailure["code"], message: string): { tag: "err"; val: Omit<PolicyFailure, "policy" | "instance"> } {
  return { tag: "err", val: { code, message } };
}

function conditionFailure(step: PlanStep, message: string): PolicyFailure {
  const text = `policy "${step.name}": its when: condition failed to evaluate (${message})`;
  return { code: "PCS_ERR_POLICY_CONDITION", policy: step.name, instance: step.instance, message: text };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function environmentSnapshot(): Record<string, string> {
  return Object.freeze(Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined)));
}

/** Room under the memory cap below which a trap counts as running out of memory (see #invoke). */
const NEAR_CAP_BYTES = 1 << 20;

/** A policy wrote a path no client could send (the gateway refuses those with 400). */
function invalidPath(step: PlanStep, refused: string): PolicyFailure {
  const message = `policy "${step.name}" returned invalid output: the path it wrote is refused (${refused})`;
  return { code: "PCS_ERR_POLICY_INVALID_OUTPUT", policy: step.name, instance: step.instance, message };
}

/** Whether a listener chain changed what route selection reads (ListenerPlan.routingHeaders). */
function changesRouting(before: RequestHead, after: RequestHead, routingHeaders: readonly string[]): boolean {
  if (before === after) return false;
  if (before.method !== after.method || before.path !== after.path || before.query !== after.query || before.authority !== after.authority) return true;
  return routingHeaders.some((name) => headerValues(before.headers, name) !== headerValues(after.headers, name));
}

function headerValues(headers: readonly { name: string; value: string }[], name: string): string {
  let values = "";
  for (const header of headers) if (header.name === name) values += `${header.value}\n`;
  return values;
}
