import type { FlowError, Header, RequestDecision, ResponseDecision, Result } from "../component/types.js";

/**
 * A policy's direct response, read for assertions. Its own fields are plain data, so
 * `expect(answerOf(result)).toEqual({ status, headers, body })` works; the helpers live on the prototype.
 */
export class Answer {
  constructor(
    readonly status: number,
    readonly headers: Header[],
    /** The body as UTF-8 text. */
    readonly body: string,
  ) {}

  /** The first value of a header (names are lower-case), or undefined. */
  header(name: string): string | undefined {
    return this.headers.find((h) => h.name === name)?.value;
  }

  /** The body parsed as JSON; throws when it is not JSON. */
  json<T = Record<string, unknown>>(): T {
    return JSON.parse(this.body) as T;
  }
}

type Outcome = Result<RequestDecision | ResponseDecision, FlowError>;

/**
 * The direct response a decision carries (`Decision.respond...` in the policy); throws, naming what
 * came instead, when the call failed or the request went on. For tests that expect an answer.
 */
export function answerOf(result: Outcome): Answer {
  const answer = maybeAnswerOf(result);
  if (!answer) throw new Error(`expected a direct response, got ${JSON.stringify(result, bigintSafe)}`);
  return answer;
}

/** Like answerOf, but undefined when the policy let the request or response go on. */
export function maybeAnswerOf(result: Outcome): Answer | undefined {
  if (result.tag !== "ok") throw new Error(`the policy failed: ${JSON.stringify(result)}`);
  if (result.val.tag !== "respond") return undefined;
  const { status, headers, body } = result.val.val;
  return new Answer(status, headers, Buffer.from(body).toString("utf8"));
}

const bigintSafe = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);
