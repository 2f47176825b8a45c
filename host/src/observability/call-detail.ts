import type { DirectResponse, HeaderEdit, MetadataEdit, RequestEdits, ResponseEdits } from "@portcullis/sdk/component";

/**
 * What a policy worker reports of one call beyond its failure code: when it started (epoch ms, so
 * the main thread can place it on a trace), how long it ran, what it decided, and (for the live
 * debug view only) the edits it made. Runs in the worker; kept small, it crosses the thread boundary.
 */
export interface CallTiming {
  /** Start, in milliseconds since the epoch (sub-millisecond precision). */
  at: number;
  ms: number;
  /** undefined when the call failed. */
  decision?: "continue" | "respond";
  detail?: CallDetail;
}

/** A policy's edits, as the debug view shows them (header values are redacted on the main thread). */
export interface CallDetail {
  status?: number;
  method?: string;
  path?: string;
  query?: string;
  headers: Array<{ op: "set" | "append" | "remove"; name: string; value?: string }>;
  /** Size of a body the policy set or answered with. */
  bodyBytes?: number;
  metadata: Array<{ op: "set" | "remove"; key: string }>;
}

type Decision = { tag: "continue"; val: RequestEdits | ResponseEdits } | { tag: "respond"; val: DirectResponse };

/** Wall-clock now with sub-millisecond precision, comparable across threads. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The timing (and with `detail`, the edits) of a call that started at `at` (epochNow()). */
export function timingOf(at: number, outcome: { tag: "ok"; val: unknown } | { tag: "err" }, detail: boolean): CallTiming {
  const ms = epochNow() - at;
  if (outcome.tag !== "ok") return { at, ms };
  const decision = outcome.val as Decision;
  return detail ? { at, ms, decision: decision.tag, detail: describeDecision(decision) } : { at, ms, decision: decision.tag };
}

function describeDecision(decision: Decision): CallDetail {
  if (decision.tag === "respond") {
    const { status, headers, body, metadata } = decision.val;
    return {
      status,
      headers: headers.map(({ name, value }) => ({ op: "set", name, value })),
      bodyBytes: body.byteLength,
      metadata: metadataOps(metadata),
    };
  }
  const edits = decision.val;
  const out: CallDetail = { headers: edits.headers.map(headerOp), metadata: metadataOps(edits.metadata) };
  if ("status" in edits && edits.status !== undefined) out.status = edits.status;
  if ("method" in edits) {
    if (edits.method !== undefined) out.method = edits.method;
    if (edits.path !== undefined) out.path = edits.path;
    if (edits.query !== undefined) out.query = edits.query;
  }
  if (edits.body !== undefined) out.bodyBytes = edits.body.byteLength;
  return out;
}

function headerOp(edit: HeaderEdit): CallDetail["headers"][number] {
  return edit.tag === "remove" ? { op: "remove", name: edit.val } : { op: edit.tag, name: edit.val.name, value: edit.val.value };
}

function metadataOps(edits: readonly MetadataEdit[]): CallDetail["metadata"] {
  return edits.map((edit) => (edit.tag === "set" ? { op: "set", key: edit.val.key } : { op: "remove", key: edit.val }));
}
