// The class a policy extends, and the one call that registers it.
import {
  BodyNeed, ConfigError, Descriptor, FaultContext, FieldError, Flow, HttpFetchResult, InitResult, OnRequestResult, OnResponseResult,
  InitInfo, PolicyExports, PolicyRequest, PolicyResponse, setPolicyExports,
} from "../bindings/generated";
import { Config } from "./config";
import { Decision } from "./decision";
import { JsonValue } from "./json";
import { Fault, Request, Response } from "./messages";

export { BodyNeed, Flow };

/** The base class of every policy: its descriptor fields and the flow functions to override. */
export abstract class Policy {
  /** The flows this policy handles; the gateway refuses to attach it to others. */
  flows: Array<Flow> = [Flow.Request];
  /** Whether some configuration may need the request body (the descriptor's upper bound). */
  needsRequestBody: bool = false;
  /** Whether some configuration may need the response body (the descriptor's upper bound). */
  needsResponseBody: bool = false;
  /**
   * What this configuration needs of the request body; set it in `configure` to narrow the
   * descriptor (e.g. `BodyNeed.None` when no body rule is configured). Before `configure` runs it
   * is `Whole` if `needsRequestBody`, else `None`.
   */
  requestBody: BodyNeed = BodyNeed.None;
  /** Like `requestBody`, for the response body. */
  responseBody: BodyNeed = BodyNeed.None;
  /** JSON Schema (draft 2020-12) of the configuration; the gateway validates `with:` blocks against it. */
  configSchema: JsonValue = JsonValue.object();

  /** `name` is short and kebab-case (`require-header`); `version` is semantic. */
  constructor(public readonly name: string, public readonly version: string) {}

  /** Reads the configuration once per instance; report problems through `config.invalid()`. */
  configure(config: Config): void {}

  /** The request flow: inspect or edit the request, or answer it (default: go on). */
  onRequest(request: Request): Decision {
    return Decision.next();
  }

  /**
   * The answer to a call queued with `Http.dispatch` (`call` is its id), with the request as it is
   * now: decide as in `onRequest`, or dispatch again. Keep nothing per request in fields: one
   * instance serves many requests at once while their calls are out. The default fails the request.
   */
  onCallResult(request: Request, call: u32, answer: HttpFetchResult): Decision {
    return Decision.internalError("the policy dispatched a call but does not override onCallResult");
  }

  /** The response flow: inspect or edit the upstream's response, or replace it (default: go on). */
  onResponse(response: Response): Decision {
    return Decision.next();
  }

  /** The fault flow: reshape an error response the gateway or a policy produced (default: go on). */
  onFault(fault: Fault): Decision {
    return Decision.next();
  }
}

/** Adapts a Policy to the world's exports. */
class PolicyAdapter extends PolicyExports {
  constructor(private readonly policy: Policy) {
    super();
  }

  describe(): Descriptor {
    const p = this.policy;
    return new Descriptor(p.name, p.version, p.flows, p.needsRequestBody, p.needsResponseBody, p.configSchema.toString());
  }

  init(text: string): InitResult {
    const json = JsonValue.parse(text);
    if (json === null) return InitResult.makeErr(ConfigError.makeInvalidJson(JsonValue.lastError));
    if (!json.isObject) return InitResult.makeErr(ConfigError.makeInvalidValue(new FieldError("", "must be an object")));
    const config = new Config(json);
    const p = this.policy;
    p.requestBody = p.needsRequestBody ? BodyNeed.Whole : BodyNeed.None;
    p.responseBody = p.needsResponseBody ? BodyNeed.Whole : BodyNeed.None;
    p.configure(config);
    const problem = config.problem;
    if (config.ok) return InitResult.makeOk(new InitInfo(p.requestBody, p.responseBody));
    if (problem.unsupported) return InitResult.makeErr(ConfigError.makeUnsupported(problem.message));
    return InitResult.makeErr(ConfigError.makeInvalidValue(new FieldError(problem.path, problem.message)));
  }

  onRequest(request: PolicyRequest): OnRequestResult {
    const wrapped = new Request(request);
    return this.policy.onRequest(wrapped).toRequestResult(wrapped);
  }

  onCallResult(request: PolicyRequest, call: u32, answer: HttpFetchResult): OnRequestResult {
    const wrapped = new Request(request);
    return this.policy.onCallResult(wrapped, call, answer).toRequestResult(wrapped);
  }

  onResponse(response: PolicyResponse): OnResponseResult {
    return this.policy.onResponse(new Response(response)).toResponseResult();
  }

  onFault(fault: FaultContext): OnResponseResult {
    return this.policy.onFault(new Fault(fault)).toResponseResult();
  }
}

/** Makes `policy` the component's implementation. Call once, at the top level of assembly/index.ts. */
export function register(policy: Policy): void {
  setPolicyExports(new PolicyAdapter(policy));
}
