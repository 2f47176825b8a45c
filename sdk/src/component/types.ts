/**
 * JavaScript shapes of the policy world (wit/*.wit), as the loading adapter
 * presents them to the gateway runtime and to the test harness.
 *
 * Conventions (those of jco's generated bindings, so the adapter can hand them
 * through without converting): record fields and function names in camelCase,
 * enum cases as their kebab-case WIT names, variants as `{ tag, val }`,
 * `option<T>` as `T | undefined`, `list<u8>` as `Uint8Array`, `u64`/`s64` as
 * `bigint`. Unlike jco, a `result<T, E>` is always a value, `{ tag: "ok", val }`
 * or `{ tag: "err", val }`, in both directions: nothing is thrown for an
 * expected error, so a throw always means a trap or a host bug.
 */

export type Result<T, E> = { tag: "ok"; val: T } | { tag: "err"; val: E };

// ---- types interface ------------------------------------------------------

export interface Header {
  name: string;
  value: string;
}

/** `value` is JSON text. */
export interface MetadataEntry {
  key: string;
  value: string;
}

export interface RequestHead {
  method: string;
  scheme: string;
  authority: string;
  path: string;
  query: string;
  headers: Header[];
  clientAddress: string;
  requestId: string;
  listener: string;
  route: string;
}

export interface ResponseHead {
  status: number;
  headers: Header[];
}

export interface PolicyRequest {
  head: RequestHead;
  body: Uint8Array | undefined;
  metadata: MetadataEntry[];
}

export interface PolicyResponse {
  request: RequestHead;
  head: ResponseHead;
  body: Uint8Array | undefined;
  metadata: MetadataEntry[];
}

export type FaultKind =
  | "policy-rejected"
  | "policy-failed"
  | "policy-trapped"
  | "policy-timeout"
  | "upstream-unreachable"
  | "upstream-timeout"
  | "upstream-error"
  | "gateway-rejected";

export interface Fault {
  kind: FaultKind;
  status: number;
  code: string;
  policy: string | undefined;
  message: string;
}

export interface FaultContext {
  request: RequestHead;
  fault: Fault;
  response: ResponseHead;
  body: Uint8Array;
  metadata: MetadataEntry[];
}

export type HeaderEdit = { tag: "set"; val: Header } | { tag: "append"; val: Header } | { tag: "remove"; val: string };

export type MetadataEdit = { tag: "set"; val: MetadataEntry } | { tag: "remove"; val: string };

export interface RequestEdits {
  method: string | undefined;
  path: string | undefined;
  query: string | undefined;
  headers: HeaderEdit[];
  body: Uint8Array | undefined;
  metadata: MetadataEdit[];
}

export interface ResponseEdits {
  status: number | undefined;
  headers: HeaderEdit[];
  body: Uint8Array | undefined;
  metadata: MetadataEdit[];
}

export interface DirectResponse {
  status: number;
  headers: Header[];
  body: Uint8Array;
  metadata: MetadataEdit[];
}

export type RequestDecision = { tag: "continue"; val: RequestEdits } | { tag: "respond"; val: DirectResponse };

export type ResponseDecision = { tag: "continue"; val: ResponseEdits } | { tag: "respond"; val: DirectResponse };

export type FlowError = { tag: "unavailable"; val: string } | { tag: "internal"; val: string };

export type Flow = "request" | "response" | "fault";

export interface Descriptor {
  name: string;
  version: string;
  flows: Flow[];
  needsRequestBody: boolean;
  needsResponseBody: boolean;
  /** JSON Schema text. */
  configSchema: string;
}

/** How much of a message's body one configuration needs (WIT `body-need`). */
export type BodyNeed = "none" | "whole-if-fits" | "whole";

/** What an accepted configuration needs, as `init` answers it. */
export interface InitInfo {
  requestBody: BodyNeed;
  responseBody: BodyNeed;
}

export interface FieldError {
  path: string;
  message: string;
}

export type ConfigError = { tag: "invalid-json"; val: string } | { tag: "invalid-value"; val: FieldError } | { tag: "unsupported"; val: string };

/** The exports of a policy instance, as the adapter returns them. */
export interface PolicyInstance {
  describe(): Descriptor;
  init(config: string): Result<InitInfo, ConfigError>;
  onRequest(request: PolicyRequest): Result<RequestDecision, FlowError>;
  onResponse(response: PolicyResponse): Result<ResponseDecision, FlowError>;
  onFault(fault: FaultContext): Result<ResponseDecision, FlowError>;
  /** Since 0.1.1; undefined for a component built against 0.1.0. */
  onCallResult?: ((request: PolicyRequest, call: number, answer: Result<OutboundResponse, HttpError>) => Result<RequestDecision, FlowError>) | undefined;
  /** Current size of the guest's linear memory in bytes. */
  memoryBytes(): number;
}

// ---- capabilities (imports) ---------------------------------------------

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";
export type HashAlgorithm = "sha1" | "sha256" | "sha384" | "sha512";
export type SignatureAlgorithm = "rs256" | "rs384" | "rs512" | "ps256" | "ps384" | "ps512" | "es256" | "es384" | "es512" | "eddsa";

export type CryptoError = { tag: "invalid-key"; val: string } | { tag: "algorithm-mismatch"; val: string } | { tag: "unsupported-hash"; val: string };

export type StoreError = { tag: "unavailable"; val: string } | { tag: "too-large"; val: string };

export interface Counter {
  value: bigint;
  resetInMs: bigint;
}

export interface BucketLimit {
  rate: number;
  periodMs: bigint;
  burst: number;
}

export interface BucketState {
  allowed: boolean;
  remaining: number;
  retryInMs: bigint;
  resetInMs: bigint;
}

export interface OutboundRequest {
  method: string;
  url: string;
  headers: Header[];
  body: Uint8Array | undefined;
  timeoutMs: number;
}

export interface OutboundResponse {
  status: number;
  headers: Header[];
  body: Uint8Array;
}

export type HttpError =
  | { tag: "denied"; val: string }
  | { tag: "invalid-request"; val: string }
  | { tag: "unreachable"; val: string }
  | { tag: "timeout" }
  | { tag: "too-large" };

export interface Label {
  name: string;
  value: string;
}

export type ExpressionError = { tag: "invalid"; val: string } | { tag: "evaluation"; val: string };
export type FileError = { tag: "denied"; val: string } | { tag: "unreadable"; val: string };
export type GeoError = { tag: "unavailable"; val: string } | { tag: "invalid-address"; val: string };

export interface Violation {
  path: string;
  message: string;
}

export type SchemaError = { tag: "invalid-schema"; val: string } | { tag: "invalid-document"; val: string } | { tag: "unknown-handle"; val: number };

export interface RegexOptions {
  caseInsensitive: boolean;
  multiline: boolean;
  dotAll: boolean;
}

export type RegexError =
  | { tag: "invalid-pattern"; val: string }
  | { tag: "invalid-replacement"; val: string }
  | { tag: "too-large"; val: string }
  | { tag: "unknown-handle"; val: number };

/** A range of the searched UTF-8 text, in bytes (`end` exclusive). */
export interface Span {
  start: number;
  end: number;
}

export interface RegexMatch {
  whole: Span;
  /** Capturing groups in pattern order; `undefined` for a group that took no part. */
  groups: (Span | undefined)[];
}

/**
 * Host functions, one object per capability interface of the world. A plugin
 * is instantiated with only the capabilities it was granted; the adapter
 * reports which interfaces a component imports so the runtime can refuse one
 * that imports more.
 */
export interface Capabilities {
  log: { write(level: LogLevel, message: string, fields: Label[]): void };
  clock: { nowMs(): bigint; monotonicNs(): bigint };
  random: { bytes(len: number): Uint8Array };
  crypto: {
    hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array;
    hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
    constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean;
    verifySignature(algorithm: SignatureAlgorithm, jwk: string, data: Uint8Array, signature: Uint8Array): Result<boolean, CryptoError>;
    verifyPassword(hash: string, password: string): Result<boolean, CryptoError>;
  };
  counters: {
    increment(key: string, delta: bigint, windowMs: bigint): Result<Counter, StoreError>;
    get(key: string, windowMs: bigint): Result<Counter, StoreError>;
    take(key: string, cost: number, limit: BucketLimit): Result<BucketState, StoreError>;
  };
  kv: {
    get(key: string): Result<Uint8Array | undefined, StoreError>;
    set(key: string, value: Uint8Array, ttlMs: bigint): Result<undefined, StoreError>;
    delete(key: string): Result<boolean, StoreError>;
  };
  http: {
    fetch(request: OutboundRequest): Result<OutboundResponse, HttpError>;
    /** Queues a call answered later through `on-call-result` (since 0.1.1). */
    dispatch(request: OutboundRequest): Result<number, HttpError>;
  };
  metrics: {
    counterAdd(name: string, labels: Label[], value: number): void;
    gaugeSet(name: string, labels: Label[], value: number): void;
    histogramObserve(name: string, labels: Label[], value: number): void;
  };
  expression: {
    compile(source: string): Result<number, ExpressionError>;
    evaluate(handle: number): Result<string, ExpressionError>;
  };
  files: { read(path: string): Result<Uint8Array, FileError> };
  geo: { country(address: string): Result<string | undefined, GeoError> };
  jsonSchema: {
    compile(schema: string): Result<number, SchemaError>;
    validate(handle: number, document: Uint8Array): Result<Violation[], SchemaError>;
  };
  regex: {
    compile(pattern: string, options: RegexOptions): Result<number, RegexError>;
    isMatch(handle: number, text: Uint8Array): Result<boolean, RegexError>;
    findAll(handle: number, text: Uint8Array, max: number): Result<RegexMatch[], RegexError>;
    replaceAll(handle: number, text: string, replacement: string): Result<string, RegexError>;
  };
}

/** Capability names as operators write them in `capabilities:` (the WIT interface names). */
export const CAPABILITY_NAMES = [
  "log",
  "clock",
  "random",
  "crypto",
  "counters",
  "kv",
  "http",
  "metrics",
  "expression",
  "files",
  "geo",
  "json-schema",
  "regex",
] as const;
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];
