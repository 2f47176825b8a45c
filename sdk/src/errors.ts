/**
 * Errors of the SDK (building, loading and calling policy components). Codes
 * follow the gateway's catalogue (`PCS_ERR_*`, host/src/errors.ts), which
 * re-exports these so users match one list.
 */

export class PortcullisSdkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** asc or component packaging rejected the policy; `problems` are `file:line:column: message` lines. */
export class PolicyBuildError extends PortcullisSdkError {
  constructor(
    readonly policy: string,
    readonly problems: string[],
  ) {
    super("PCS_ERR_POLICY_BUILD", `building policy '${policy}' failed:\n${problems.join("\n")}`);
  }
}

/** The bytes are not a policy component of this world; `problems` names each missing or mistyped item. */
export class InvalidComponentError extends PortcullisSdkError {
  constructor(readonly problems: string[]) {
    super("PCS_ERR_POLICY_INVALID", `not a valid policy component:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** The component imports capabilities it was not granted (or the host cannot provide). */
export class CapabilityNotGrantedError extends PortcullisSdkError {
  constructor(readonly missing: string[]) {
    super("PCS_ERR_CAPABILITY_NOT_GRANTED", `the policy imports capabilities that were not granted: ${missing.join(", ")}`);
  }
}

/**
 * The guest trapped (crash, abort, out of memory); the instance cannot be used again. `detail` is
 * `message at file:line:column` when the trap came through abort (an assertion, an uncaught throw),
 * else the engine's reason (`unreachable`, `memory access out of bounds`, ...).
 */
export class PolicyTrapError extends PortcullisSdkError {
  readonly detail: string;
  constructor(
    readonly call: string,
    cause: unknown,
    abort?: string,
  ) {
    const detail = abort ?? (cause instanceof Error ? cause.message : String(cause));
    super("PCS_ERR_POLICY_TRAPPED", `policy trapped in ${call}: ${detail}`);
    this.detail = detail;
    this.cause = cause;
  }
}

/** A call on an instance that trapped before. */
export class PolicyInstanceDeadError extends PortcullisSdkError {
  constructor() {
    super("PCS_ERR_POLICY_TRAPPED", "the policy instance trapped earlier and must be instantiated again");
  }
}
