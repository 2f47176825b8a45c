import type { DirectResponse, Fault, InitInfo, RequestHead, ResponseHead, WasmModule } from "@portcullis/sdk/component";
import type { HttpErrorCode } from "../errors.js";
import type { CapabilityGrants, PluginLimits } from "./config-schema.js";
import type { PolicyPlan } from "./policy-plan.js";
import type { ListenerConfig } from "../config/schema.js";
import type { CallTiming } from "../observability/call-detail.js";

/**
 * What crosses the thread boundary between the gateway (main thread) and a policy worker.
 * Everything here is structured-cloned, so keep it small: chains travel as names the worker
 * looks up in the plan it received once, and bodies only when a policy asked for them.
 */

/** Sent once to every worker (piscina workerData). */
export interface WorkerSetup {
  plugins: Record<string, WorkerPlugin>;
  plan: PolicyPlan;
  /** The listeners' path settings, for canonicalising paths policies write. */
  listeners: ListenerConfig[];
  /** Directory relative paths in grants resolve against (the config file's). */
  baseDir: string;
  /** Timeout of one bridged capability call (store, outbound HTTP). */
  bridgeTimeoutMs: number;
  /** The gateway's `logging.level`, applied to policies' `log` capability. */
  logLevel: string;
  /** Progress slots shared with the gateway (see ProgressSlots). */
  progress: SharedArrayBuffer;
  /** Each instance's body needs, filled after warm-up (see BodyNeedTable). */
  bodyNeeds: SharedArrayBuffer;
  /** The memory store's counter table, updated by workers directly (undefined with Redis). */
  sharedCounters: SharedArrayBuffer | undefined;
}

export interface WorkerPlugin {
  /** The compiled core module, shared by every worker (never recompiled). */
  module: WasmModule;
  grants: CapabilityGrants;
  limits: PluginLimits;
}

/** Metadata as it travels: [key, JSON text] pairs in insertion order. */
export type MetadataPairs = [string, string][];

interface TaskBase {
  listener: string;
  metadata: MetadataPairs;
  /** Instances the gateway has quarantined: treated as failed without being called. */
  quarantined: number[];
  /** This task's slot in WorkerSetup.progress (-1: none), where the worker records when it started
   * and which policy it is running, so a flow that runs out of time is blamed on the right policy. */
  slot: number;
  /** Describe each call's edits in its record (the live debug view is watching this request). */
  callDetail?: boolean;
}

export interface RequestTask extends TaskBase {
  flow: "request";
  /**
   * Run the listener-level chain first. When it changes what route selection reads (see
   * ListenerPlan.routingHeaders), the flow stops there with outcome `reroute`: the gateway selects the
   * route again and runs the route's chain in a task of its own.
   */
  withListenerChain: boolean;
  /** The route the gateway selected, whose chain runs (after the listener chain); undefined: none matched. */
  route: string | undefined;
  head: RequestHead;
  body: Uint8Array | undefined;
  /** The body was too large for the `whole-if-fits` policies and streams: do not ask for it again. */
  bodyTooLarge: boolean;
}

export interface ResponseTask extends TaskBase {
  flow: "response";
  /** undefined for a request that matched no route. */
  route: string | undefined;
  request: RequestHead;
  response: ResponseHead;
  body: Uint8Array | undefined;
}

export interface FaultTask extends TaskBase {
  flow: "fault";
  route: string | undefined;
  request: RequestHead;
  fault: Fault;
  response: ResponseHead;
  body: Uint8Array;
  /** Run the response chain too, on what the fault chain made, in the same crossing: the result is then the final response (head always set). */
  thenResponse?: boolean;
}

/** Sent once at start: instantiate and `init` every instance, so a refused configuration stops the start. */
export interface WarmUpTask {
  flow: "warm-up";
}

export type FlowTask = RequestTask | ResponseTask | FaultTask;

/** An instance whose creation or `init` failed during warm-up. */
export interface WarmUpFailure {
  instance: number;
  message: string;
}

/** What warm-up found: failures, and each initialised instance's answer (undefined where it failed). */
export interface WarmUpReport {
  failures: WarmUpFailure[];
  needs: (InitInfo | undefined)[];
}

/** A policy that could not do its work, as the gateway reports it. */
export interface PolicyFailure {
  /** Its fault kind is the catalogue's (errors.ts faultKindOf). */
  code: HttpErrorCode;
  policy: string;
  instance: number;
  message: string;
  /** Set by the gateway on a quarantine refusal: when the client may try again. */
  retryAfterSeconds?: number;
}

/** One policy call, for the per-plugin counters of /plugins. */
export interface CallRecord {
  instance: number;
  failure: PolicyFailure["code"] | undefined;
  /** When it ran and what it decided, for metrics, traces and the debug view (absent when not called). */
  timing?: CallTiming;
}

export interface FlowResultBase {
  metadata: MetadataPairs;
  calls: CallRecord[];
  /** Failures of `open` policies, which were skipped. */
  skipped: PolicyFailure[];
}

export type FlowResult = FlowResultBase &
  // head and body are present only when a policy changed them.
  (
    | { outcome: "continue"; head: RequestHead | ResponseHead | undefined; body: Uint8Array | undefined }
    | { outcome: "respond"; response: DirectResponse; policy: string }
    | { outcome: "failed"; failure: PolicyFailure }
    /**
     * A policy of the request chain answered, and the chains that run on its answer ran in the same
     * task: the response chain, after the fault chain for a rejection (`rejected`, status >= 400).
     * `response` is the final answer; `policy` the one that answered; `invalid` why a chain's output
     * was refused by the gateway's checks and left out.
     */
    | { outcome: "answered"; policy: string; rejected: boolean; response: ResponseHead & { body: Uint8Array }; invalid: string | undefined }
    /** The listener chain changed what route selection reads; the route's chain did not run (see RequestTask). */
    | { outcome: "reroute"; head: RequestHead; body: Uint8Array | undefined }
  );
