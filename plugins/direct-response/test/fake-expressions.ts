import { fakeExpressions as fakeSdkExpressions } from "@portcullis/sdk/testing";

/** The SDK's expression fake, with "(((" marking a source that does not compile. */
export const fakeExpressions = (results: Record<string, string>) => fakeSdkExpressions(results, (source) => source.includes("((("));

/** The direct response of an on-request result, with its body as text. */
export function directResponse(result: unknown): { status: number; headers: Array<{ name: string; value: string }>; body: string } {
  const decision = result as { tag: string; val: { tag: string; val: { status: number; headers: Array<{ name: string; value: string }>; body: Uint8Array } } };
  if (decision.tag !== "ok" || decision.val.tag !== "respond") throw new Error(`not a direct response: ${JSON.stringify(result)}`);
  const { status, headers, body } = decision.val.val;
  return { status, headers, body: Buffer.from(body).toString("utf8") };
}
