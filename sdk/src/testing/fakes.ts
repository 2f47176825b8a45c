/** In-memory host capabilities under a test's control. */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createRegex } from "../regex/regex-capability.js";
import type {
  BucketLimit,
  BucketState,
  Capabilities,
  Counter,
  Label,
  LogLevel,
  OutboundRequest,
  OutboundResponse,
  Result,
  HttpError,
  StoreError,
} from "../component/types.js";

export class FakeClock {
  constructor(
    public nowMs = 1_700_000_000_000n,
    public monotonicNs = 0n,
  ) {}
  advance(ms: number): void {
    this.nowMs += BigInt(ms);
    this.monotonicNs += BigInt(ms) * 1_000_000n;
  }
}

export interface LogLine {
  level: LogLevel;
  message: string;
  fields: Label[];
}

export interface MetricSample {
  kind: "counter" | "gauge" | "histogram";
  name: string;
  labels: Label[];
  value: number;
}

/**
 * Answers the policy's outbound calls. A handler returning a promise (a real server, see
 * `liveFetch`) answers dispatched calls only, through `onRequestAsync`.
 */
export type FetchHandler = (request: OutboundRequest) => Result<OutboundResponse, HttpError> | Promise<Result<OutboundResponse, HttpError>>;

/** A call the policy queued with `http.dispatch`, not yet answered. */
export interface DispatchedCall {
  id: number;
  request: OutboundRequest;
}

/**
 * A fake `expression` capability for unit tests: each compiled source evaluates to the JSON text
 * given for it in `results` (a source with no result fails to evaluate, as a missing key does in
 * CEL); sources for which `invalid` is true do not compile. Pass it as `capabilities.expression`.
 */
export function fakeExpressions(results: Record<string, string>, invalid: (source: string) => boolean = () => false): Capabilities["expression"] {
  const sources: string[] = [];
  return {
    compile: (source) =>
      invalid(source) ? { tag: "err", val: { tag: "invalid", val: `does not compile: ${source}` } } : { tag: "ok", val: sources.push(source) - 1 },
    evaluate: (handle) => {
      const result = results[sources[handle] ?? ""];
      return result === undefined ? { tag: "err", val: { tag: "evaluation", val: "no such key" } } : { tag: "ok", val: result };
    },
  };
}

export class Fakes {
  readonly clock = new FakeClock();
  readonly logs: LogLine[] = [];
  readonly metrics: MetricSample[] = [];
  /** Every outbound request, fetched or dispatched, in order. */
  readonly fetches: OutboundRequest[] = [];
  /** Dispatched calls the harness has not answered yet (it answers them after each policy call). */
  readonly dispatched: DispatchedCall[] = [];
  #lastCall = 0;
  readonly kv = new Map<string, { value: Uint8Array; expiresAt: bigint }>();
  readonly counters = new Map<string, { value: bigint; windowStart: bigint }>();
  /** Token buckets of `counters.take`: key -> the instant (microseconds) the bucket is full again. */
  readonly buckets = new Map<string, bigint>();
  readonly files = new Map<string, Uint8Array>();
  /** Answers outbound HTTP; by default every host is denied. */
  fetch: FetchHandler = (request) => ({ tag: "err", val: { tag: "denied", val: new URL(request.url).host } });

  private window(key: string, windowMs: bigint, delta: bigint): Counter {
    const start = this.clock.nowMs - (this.clock.nowMs % windowMs);
    const id = `${key}\u0000${windowMs}`;
    const entry = this.counters.get(id);
    const value = (entry && entry.windowStart === start ? entry.value : 0n) + delta;
    if (delta !== 0n || entry) this.counters.set(id, { value, windowStart: start });
    return { value, resetInMs: start + windowMs - this.clock.nowMs };
  }

  /** `counters.take` as the host's stores do it (GCRA in integer microseconds), on the fake clock. */
  private take(key: string, cost: number, limit: BucketLimit): Result<BucketState, StoreError> {
    const rate = BigInt(Math.max(1, limit.rate));
    const burst = BigInt(Math.max(1, limit.burst));
    const periodMs = limit.periodMs > 0n ? limit.periodMs : 1n;
    if (BigInt(cost) > burst) return { tag: "err", val: { tag: "too-large", val: `a cost of ${cost} exceeds the bucket's burst of ${burst}` } };
    const intervalUs = bigMax(1n, (periodMs * 2000n + rate) / (2n * rate));
    const capacityUs = intervalUs * burst;
    const nowUs = this.clock.nowMs * 1000n;
    const tatUs = bigMax(this.buckets.get(key) ?? nowUs, nowUs);
    const nextUs = tatUs + intervalUs * BigInt(cost);
    const allowed = nextUs - nowUs <= capacityUs;
    if (allowed && cost > 0) this.buckets.set(key, nextUs);
    const aheadUs = (allowed ? nextUs : tatUs) - nowUs;
    const retryUs = allowed ? 0n : nextUs - nowUs - capacityUs;
    const ceilMs = (us: bigint) => (us + 999n) / 1000n;
    return { tag: "ok", val: { allowed, remaining: Number((capacityUs - aheadUs) / intervalUs), retryInMs: ceilMs(retryUs), resetInMs: ceilMs(aheadUs) } };
  }

  capabilities(): Capabilities {
    return {
      log: { write: (level, message, fields) => void this.logs.push({ level, message, fields }) },
      clock: { nowMs: () => this.clock.nowMs, monotonicNs: () => this.clock.monotonicNs },
      random: { bytes: (len) => new Uint8Array(randomBytes(len)) },
      crypto: {
        hash: (algorithm, data) => new Uint8Array(createHash(algorithm).update(data).digest()),
        hmac: (algorithm, key, data) => new Uint8Array(createHmac(algorithm, key).update(data).digest()),
        constantTimeEqual: (a, b) => a.length === b.length && timingSafeEqual(a, b),
        verifySignature: () => ({ tag: "err", val: { tag: "invalid-key", val: "the fake crypto does not verify signatures" } }),
        verifyPassword: () => ({ tag: "err", val: { tag: "unsupported-hash", val: "the fake crypto does not verify passwords" } }),
      },
      counters: {
        increment: (key, delta, windowMs) => ({ tag: "ok", val: this.window(key, windowMs, delta) }),
        get: (key, windowMs) => ({ tag: "ok", val: this.window(key, windowMs, 0n) }),
        take: (key, cost, limit) => this.take(key, cost, limit),
      },
      kv: {
        get: (key) => {
          const entry = this.kv.get(key);
          return { tag: "ok", val: entry && entry.expiresAt > this.clock.nowMs ? entry.value : undefined };
        },
        set: (key, value, ttlMs) => {
          this.kv.set(key, { value, expiresAt: this.clock.nowMs + ttlMs });
          return { tag: "ok", val: undefined };
        },
        delete: (key) => ({ tag: "ok", val: this.kv.delete(key) }),
      },
      http: {
        fetch: (request) => {
          this.fetches.push(request);
          const answer = this.fetch(request);
          if (answer instanceof Promise) throw new Error("an asynchronous fetch handler answers dispatched calls only (onRequestAsync)");
          return answer;
        },
        dispatch: (request) => {
          this.fetches.push(request);
          this.dispatched.push({ id: ++this.#lastCall, request });
          return { tag: "ok", val: this.#lastCall };
        },
      },
      metrics: {
        counterAdd: (name, labels, value) => void this.metrics.push({ kind: "counter", name, labels, value }),
        gaugeSet: (name, labels, value) => void this.metrics.push({ kind: "gauge", name, labels, value }),
        histogramObserve: (name, labels, value) => void this.metrics.push({ kind: "histogram", name, labels, value }),
      },
      expression: {
        compile: () => ({ tag: "err", val: { tag: "invalid", val: "expressions are not faked; pass capabilities.expression (see fakeExpressions)" } }),
        evaluate: () => ({ tag: "err", val: { tag: "evaluation", val: "expressions are not faked" } }),
      },
      files: {
        read: (path) => {
          const data = this.files.get(path);
          return data ? { tag: "ok", val: data } : { tag: "err", val: { tag: "unreadable", val: path } };
        },
      },
      geo: { country: () => ({ tag: "err", val: { tag: "unavailable", val: "no geo database in tests" } }) },
      jsonSchema: {
        compile: () => ({ tag: "err", val: { tag: "invalid-schema", val: "json-schema is not faked; pass capabilities.jsonSchema" } }),
        validate: (handle) => ({ tag: "err", val: { tag: "unknown-handle", val: handle } }),
      },
      regex: createRegex(),
    };
  }
}

const bigMax = (a: bigint, b: bigint): bigint => (a > b ? a : b);
