import type { BodyNeed, InitInfo } from "@portcullis/sdk/component";
import type { PlanStep } from "./policy-plan.js";

/** Body needs as numbers ordered by how much they ask, so a chain needs the largest of its steps. */
export const NEED_NONE = 0;
export const NEED_IF_FITS = 1;
export const NEED_WHOLE = 2;
export type NeedCode = typeof NEED_NONE | typeof NEED_IF_FITS | typeof NEED_WHOLE;

const CODES: Record<BodyNeed, NeedCode> = { none: NEED_NONE, "whole-if-fits": NEED_IF_FITS, whole: NEED_WHOLE };
const NAMES: readonly BodyNeed[] = ["none", "whole-if-fits", "whole"];
const UNKNOWN = 0xff;
/** Bytes per instance: request need, response need, "a worker answered otherwise" flag. */
const STRIDE = 3;
const REQUEST = 0;
const RESPONSE = 1;
const MISMATCH = 2;

/**
 * What each plan instance's configuration needs of the bodies, as `init` answered during warm-up.
 * Shared memory: the gateway fills it once warm-up is done and decides buffering from it; every
 * worker reads it to hand bodies to the policies that asked, and checks its own instances'
 * answers against it.
 */
export class BodyNeedTable {
  readonly #bytes: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#bytes = new Uint8Array(buffer);
  }

  static create(instances: number): BodyNeedTable {
    const table = new BodyNeedTable(new SharedArrayBuffer(Math.max(1, instances) * STRIDE));
    for (let i = 0; i < instances; i++) {
      table.#bytes[i * STRIDE + REQUEST] = UNKNOWN;
      table.#bytes[i * STRIDE + RESPONSE] = UNKNOWN;
    }
    return table;
  }

  set(instance: number, info: InitInfo): void {
    this.#bytes[instance * STRIDE + REQUEST] = CODES[info.requestBody];
    this.#bytes[instance * STRIDE + RESPONSE] = CODES[info.responseBody];
  }

  /** undefined until warm-up has answered for this instance. */
  get(instance: number): InitInfo | undefined {
    const request = this.#bytes[instance * STRIDE + REQUEST]!;
    const response = this.#bytes[instance * STRIDE + RESPONSE]!;
    if (request === UNKNOWN || response === UNKNOWN) return undefined;
    return { requestBody: NAMES[request]!, responseBody: NAMES[response]! };
  }

  /** Whether the policy of this instance is handed the request body (unknown counts as no). */
  seesRequestBody(instance: number): boolean {
    const need = this.#bytes[instance * STRIDE + REQUEST]!;
    return need !== NEED_NONE && need !== UNKNOWN;
  }

  seesResponseBody(instance: number): boolean {
    const need = this.#bytes[instance * STRIDE + RESPONSE]!;
    return need !== NEED_NONE && need !== UNKNOWN;
  }

  /** The largest request-body need of a chain. */
  requestNeed(steps: readonly PlanStep[]): NeedCode {
    return this.#chainNeed(steps, REQUEST);
  }

  responseNeed(steps: readonly PlanStep[]): NeedCode {
    return this.#chainNeed(steps, RESPONSE);
  }

  /** Marks that an instance answered differently from warm-up; true only the first time, in any thread. */
  flagMismatch(instance: number): boolean {
    return Atomics.compareExchange(this.#bytes, instance * STRIDE + MISMATCH, 0, 1) === 0;
  }

  mismatched(instance: number): boolean {
    return Atomics.load(this.#bytes, instance * STRIDE + MISMATCH) === 1;
  }

  #chainNeed(steps: readonly PlanStep[], offset: number): NeedCode {
    let need = 0;
    for (let i = 0; i < steps.length; i++) {
      const code = this.#bytes[steps[i]!.instance * STRIDE + offset]!;
      if (code !== UNKNOWN && code > need) need = code;
    }
    return need as NeedCode;
  }
}

/** Why an `init` answer is not acceptable for a plugin's descriptor, if it is not. */
export function exceedsDescriptor(info: InitInfo, descriptor: { needsRequestBody: boolean; needsResponseBody: boolean }): string | undefined {
  const over: string[] = [];
  if (info.requestBody !== "none" && !descriptor.needsRequestBody)
    over.push(`request-body: ${info.requestBody} (its descriptor says needs-request-body: false)`);
  if (info.responseBody !== "none" && !descriptor.needsResponseBody)
    over.push(`response-body: ${info.responseBody} (its descriptor says needs-response-body: false)`);
  return over.length ? `init asked for more than the plugin declares: ${over.join("; ")}` : undefined;
}

export function describeNeeds(info: InitInfo): string {
  return `request-body: ${info.requestBody}, response-body: ${info.responseBody}`;
}
