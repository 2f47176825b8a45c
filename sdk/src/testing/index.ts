/**
 * `@portcullis/sdk/testing`: load a built policy in-process, with the same
 * loading code the gateway uses, and call it with plain objects.
 */
import { readFile } from "node:fs/promises";
import { compilePolicy, instantiatePolicy } from "../component/policy-component.js";
import { PolicyTrapError } from "../errors.js";
import type {
  Capabilities,
  ConfigError,
  Descriptor,
  FaultContext,
  Header,
  InitInfo,
  PolicyInstance,
  PolicyRequest,
  PolicyResponse,
  RequestDecision,
  RequestHead,
  ResponseDecision,
  Result,
  FlowError,
  HttpError,
  OutboundResponse,
  RequestEdits,
} from "../component/types.js";
import { Fakes, type DispatchedCall } from "./fakes.js";

export { Fakes, FakeClock, fakeExpressions } from "./fakes.js";
export { answerOf, maybeAnswerOf, Answer } from "./answers.js";
export { liveFetch } from "./live-fetch.js";
export type { LogLine, MetricSample, FetchHandler, DispatchedCall } from "./fakes.js";

export interface LoadOptions {
  /** The `with:` block; `init` runs with it unless `init: false`. */
  config?: unknown;
  init?: boolean;
  /** Replaces individual fake capabilities. */
  capabilities?: Partial<Capabilities>;
}

export interface RequestInput extends Partial<Omit<RequestHead, "headers">> {
  /** `[name, value]` pairs or a record; names are lower-cased like the gateway does. */
  headers?: [string, string][] | Record<string, string>;
  body?: Uint8Array | string;
  metadata?: Record<string, unknown>;
}

export interface ResponseInput {
  status?: number;
  headers?: [string, string][] | Record<string, string>;
  body?: Uint8Array | string;
  request?: RequestInput;
  metadata?: Record<string, unknown>;
}

function headerList(headers: RequestInput["headers"]): Header[] {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers ?? {});
  return pairs.map(([name, value]) => ({ name: name.toLowerCase(), value }));
}

const bytes = (body: Uint8Array | string | undefined): Uint8Array | undefined => (typeof body === "string" ? new TextEncoder().encode(body) : body);

export function requestHead(input: RequestInput = {}): RequestHead {
  return {
    method: input.method ?? "GET",
    scheme: input.scheme ?? "http",
    authority: input.authority ?? "localhost",
    path: input.path ?? "/",
    query: input.query ?? "",
    headers: headerList(input.headers),
    clientAddress: input.clientAddress ?? "127.0.0.1",
    requestId: input.requestId ?? "test-request",
    listener: input.listener ?? "test",
    route: input.route ?? "test",
  };
}

const metadataList = (metadata: Record<string, unknown> = {}) => Object.entries(metadata).map(([key, value]) => ({ key, value: JSON.stringify(value) }));

const policyRequest = (input: RequestInput): PolicyRequest => ({ head: requestHead(input), body: bytes(input.body), metadata: metadataList(input.metadata) });

/**
 * A built policy under test. After a trap the harness creates a fresh instance (initialised with
 * the last accepted configuration), as the gateway does, and says so in the error it throws: one
 * failing case does not break the next.
 */
export class TestPolicy {
  /** What the last accepted `init` said this configuration needs (undefined before one). */
  initInfo: InitInfo | undefined;
  #instance: PolicyInstance;
  /** The configuration JSON of the last accepted `init`. */
  #config: string | undefined;

  constructor(
    instance: PolicyInstance,
    readonly fakes: Fakes,
    private readonly create: () => PolicyInstance,
  ) {
    this.#instance = instance;
  }

  /** The current instance (a new one after each trap). */
  get instance(): PolicyInstance {
    return this.#instance;
  }

  describe(): Descriptor {
    return this.#guarded(() => this.#instance.describe());
  }

  /** Initialises with `config`: `ok` carries nothing; the body needs it declared go to `initInfo`. */
  init(config: unknown): Result<undefined, ConfigError> {
    const json = JSON.stringify(config);
    const result = this.#guarded(() => this.#instance.init(json));
    if (result.tag === "err") return result;
    this.initInfo = result.val;
    this.#config = json;
    return { tag: "ok", val: undefined };
  }

  #guarded<R>(call: () => R): R {
    try {
      return call();
    } catch (error) {
      if (error instanceof PolicyTrapError) error.message += this.#renew();
      throw error;
    }
  }

  /** Replaces the trapped instance; returns what to tell the author about it. */
  #renew(): string {
    try {
      this.#instance = this.create();
      if (this.#config === undefined) return " (the harness created a fresh instance for the next call)";
      const result = this.#instance.init(this.#config);
      if (result.tag === "err") return ` (the harness created a fresh instance, but init refused the same configuration: ${JSON.stringify(result.val)})`;
      return " (the harness created a fresh instance, initialised with the same configuration, for the next call)";
    } catch (error) {
      return ` (the harness could not create a fresh instance: ${(error as Error).message})`;
    }
  }

  /**
   * Runs the request flow. Calls the policy dispatched are answered at once by `fakes.fetch` and
   * handed to on-call-result as the gateway does (in order, while it dispatches more; a respond or
   * an error drops the rest); the result is the last decision, with the edits of the `continue`
   * decisions before it merged in. on-call-result sees the request as given, not as edited.
   */
  onRequest(input: RequestInput = {}): Result<RequestDecision, FlowError> {
    const request = policyRequest(input);
    let result = this.#guarded(() => this.#instance.onRequest(request));
    for (let call = this.#nextCall(result); call; call = this.#nextCall(result)) {
      const answer = this.fakes.fetch(call.request);
      if (answer instanceof Promise) throw new Error("the fetch handler answers asynchronously: use onRequestAsync");
      result = this.#callResult(request, result, call.id, answer);
    }
    return result;
  }

  /** onRequest for a fetch handler that answers asynchronously, e.g. `liveFetch` against a real server. */
  async onRequestAsync(input: RequestInput = {}): Promise<Result<RequestDecision, FlowError>> {
    const request = policyRequest(input);
    let result = this.#guarded(() => this.#instance.onRequest(request));
    for (let call = this.#nextCall(result); call; call = this.#nextCall(result)) {
      result = this.#callResult(request, result, call.id, await this.fakes.fetch(call.request));
    }
    return result;
  }

  /** The next dispatched call to answer while the flow goes on; drops the queue when it ended. */
  #nextCall(result: Result<RequestDecision, FlowError>): DispatchedCall | undefined {
    if (result.tag === "ok" && result.val.tag === "continue") return this.fakes.dispatched.shift();
    this.fakes.dispatched.length = 0;
    return undefined;
  }

  #callResult(request: PolicyRequest, before: Result<RequestDecision, FlowError>, call: number, answer: Result<OutboundResponse, HttpError>) {
    const onCallResult = this.#instance.onCallResult;
    if (!onCallResult) throw new Error("the policy dispatched a call but its component has no on-call-result export");
    const after = this.#guarded(() => onCallResult(request, call, answer));
    if (before.tag !== "ok" || before.val.tag !== "continue" || after.tag !== "ok" || after.val.tag !== "continue") return after;
    const [a, b] = [before.val.val, after.val.val];
    const edits: RequestEdits = {
      method: b.method ?? a.method,
      path: b.path ?? a.path,
      query: b.query ?? a.query,
      headers: [...a.headers, ...b.headers],
      body: b.body ?? a.body,
      metadata: [...a.metadata, ...b.metadata],
    };
    return { tag: "ok", val: { tag: "continue", val: edits } } as const;
  }

  onResponse(input: ResponseInput = {}): Result<ResponseDecision, FlowError> {
    const response: PolicyResponse = {
      request: requestHead(input.request),
      head: { status: input.status ?? 200, headers: headerList(input.headers) },
      body: bytes(input.body),
      metadata: metadataList(input.metadata),
    };
    return this.#guarded(() => this.#instance.onResponse(response));
  }

  onFault(fault: FaultContext): Result<ResponseDecision, FlowError> {
    return this.#guarded(() => this.#instance.onFault(fault));
  }
}

/** Loads a built policy component with fake capabilities and (by default) initialises it with `config`. */
export async function loadPolicy(wasmPath: string, options: LoadOptions = {}): Promise<TestPolicy> {
  const fakes = new Fakes();
  const capabilities = { ...fakes.capabilities(), ...options.capabilities };
  const compiled = await compilePolicy(await readFile(wasmPath));
  const create = () => instantiatePolicy(compiled, capabilities, { strict: true });
  const policy = new TestPolicy(create(), fakes, create);
  if (options.init !== false) {
    const result = policy.init(options.config ?? {});
    if (result.tag === "err") throw new Error(`init refused the configuration: ${JSON.stringify(result.val)}`);
  }
  return policy;
}
