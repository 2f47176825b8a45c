// Scores pii-guard on labelled texts the way recognizer test suites do: a text of one kind and the spans
// [start, end) the detector of that kind should find there. The policy masks with "#", so what it found
// is read back from the body: a span counts as found when every letter and digit in it is masked; masked
// characters outside every span are false findings (one per run of them).
import { json, outcome, policy, text } from "./unit-helpers.js";

export type Kind = "ssn" | "card" | "email" | "phone" | "iban";
export const KINDS: Kind[] = ["ssn", "card", "email", "phone", "iban"];

export interface Vector {
  id: string;
  kind: Kind;
  text: string;
  spans: Array<[number, number]>;
  /** The source's expectation is arguable for pii-guard (a format it does not claim); reported, not scored. */
  debatable?: boolean;
  /** false: kept for reference only (a duplicate, or a non-default setting of the source). */
  scored?: boolean;
}

export interface VectorResult {
  vector: Vector;
  missed: Array<[number, number]>;
  /** Masked runs outside every expected span, as [start, end). */
  extra: Array<[number, number]>;
}

export interface Score {
  expected: number;
  found: number;
  falseFindings: number;
  recall: number;
  precision: number;
  failures: VectorResult[];
}

const isAlnum = (c: string) => /[0-9A-Za-z]/.test(c);

/** One policy per kind with only that detector on, masking with "#"; or every detector at once. */
export async function maskingPolicies() {
  const one = new Map<Kind, Awaited<ReturnType<typeof policy>>>();
  for (const kind of KINDS) one.set(kind, await policy({ detectors: { [kind]: "mask" }, maskChar: "#" }));
  const all = await policy({ detectors: Object.fromEntries(KINDS.map((kind) => [kind, "mask"])), maskChar: "#" });
  return { one, all };
}

/** Which characters of `input` the policy masked: sent as a text body, or as the one string of a JSON body. */
export function maskedPositions(p: Awaited<ReturnType<typeof policy>>, input: string, as: "text" | "json" = "text"): boolean[] {
  const result = outcome(p.onRequest(as === "text" ? text(input) : json([input])));
  if (result.tag !== "continue") throw new Error(`expected the request to go on, got ${result.tag} for ${JSON.stringify(input)}`);
  const body = result.body === undefined ? input : as === "text" ? result.body : (JSON.parse(result.body) as string[])[0]!;
  if (body.length !== input.length) throw new Error(`masking changed the length of ${JSON.stringify(input)}`);
  return Array.from(input, (c, i) => body[i] !== c);
}

export function judge(vector: Vector, masked: boolean[]): VectorResult {
  const inSpan = (i: number) => vector.spans.some(([s, e]) => i >= s && i < e);
  const missed = vector.spans.filter(([s, e]) => {
    for (let i = s; i < e; i++) if (isAlnum(vector.text[i]!) && !masked[i]) return true;
    return false;
  });
  const extra: Array<[number, number]> = [];
  let open = -1;
  for (let i = 0; i <= vector.text.length; i++) {
    const outside = i < vector.text.length && masked[i] && !inSpan(i);
    if (outside && open < 0) open = i;
    // A run of false masking goes on across characters masking leaves alone (separators).
    const continues = i < vector.text.length && !isAlnum(vector.text[i]!) && !inSpan(i);
    if (!outside && !continues && open >= 0) {
      extra.push([open, i]);
      open = -1;
    }
  }
  return { vector, missed, extra };
}

export function score(results: VectorResult[]): Score {
  const expected = results.reduce((n, r) => n + r.vector.spans.length, 0);
  const found = expected - results.reduce((n, r) => n + r.missed.length, 0);
  const falseFindings = results.reduce((n, r) => n + r.extra.length, 0);
  return {
    expected,
    found,
    falseFindings,
    recall: expected === 0 ? 1 : found / expected,
    precision: found + falseFindings === 0 ? 1 : found / (found + falseFindings),
    failures: results.filter((r) => r.missed.length > 0 || r.extra.length > 0),
  };
}

/** A failure as one readable line: the text with what was missed and what was found falsely. */
export function describeFailure({ vector, missed, extra }: VectorResult): string {
  const show = (spans: Array<[number, number]>) => spans.map(([s, e]) => JSON.stringify(vector.text.slice(s, e))).join(", ");
  return `${vector.id} ${JSON.stringify(vector.text)}${missed.length ? ` missed ${show(missed)}` : ""}${extra.length ? ` falsely found ${show(extra)}` : ""}`;
}
