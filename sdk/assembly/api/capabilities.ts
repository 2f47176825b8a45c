// Typed wrappers for every host capability of the world. A policy imports only
// the capabilities it calls, and the operator must grant each of them.
// Expected failures come back as result objects (`isOk`, `ok`, `err`), never as traps.
import {
  BucketLimit, clockMonotonicNs, clockNowMs, countersGet, countersIncrement, countersTake, cryptoConstantTimeEqual,
  cryptoHash, cryptoHmac, cryptoVerifyPassword, cryptoVerifySignature, expressionCompile, expressionEvaluate, filesRead, geoCountry,
  HashAlgorithm, Header, httpDispatch, httpFetch, jsonSchemaCompile, jsonSchemaValidate, kvDelete, kvGet, kvSet, LogField, logWrite,
  LogLevel, MetricsLabel, metricsCounterAdd, metricsGaugeSet, metricsHistogramObserve, OutboundRequest, randomBytes,
  SignatureAlgorithm, CountersIncrementResult, CountersTakeResult, CryptoVerifySignatureResult, ExpressionCompileResult,
  ExpressionEvaluateResult, FilesReadResult, GeoCountryResult, HttpDispatchResult, HttpFetchResult, JsonSchemaCompileResult,
  JsonSchemaValidateResult, KvDeleteResult, KvGetResult, KvSetResult,
} from "../bindings/generated";
import { Box } from "../runtime/abi";
import { Hex } from "./hex";
import { Utf8 } from "./utf8";

export {
  BucketState, CountersTakeResult as TakeResult,
  CountersIncrementResult as CounterResult, CountersCounter as Counter, CryptoError, CryptoVerifySignatureResult as VerifyResult,
  ExpressionCompileResult as ExpressionHandleResult, ExpressionError, ExpressionEvaluateResult as ExpressionValueResult,
  FileError, FilesReadResult as FileResult, GeoCountryResult as CountryResult, GeoError, HashAlgorithm, HttpError, HttpErrorTag,
  HttpDispatchResult as DispatchResult, HttpFetchResult as FetchResult, JsonSchemaCompileResult as SchemaHandleResult, JsonSchemaValidateResult as ValidationResult,
  JsonSchemaViolation as Violation, KvDeleteResult, KvGetResult, KvSetResult, LogField, LogLevel, MetricsLabel as Label,
  OutboundResponse, SchemaError, SignatureAlgorithm, StoreError,
} from "../bindings/generated";

const NO_FIELDS: Array<LogField> = [];

/** The `log` capability: structured log lines at the gateway's configured level. */
export namespace Log {
  export function write(level: LogLevel, message: string, fields: Array<LogField> = NO_FIELDS): void {
    logWrite(level, message, fields);
  }
  export function debug(message: string): void { logWrite(LogLevel.Debug, message, NO_FIELDS); }
  export function info(message: string): void { logWrite(LogLevel.Info, message, NO_FIELDS); }
  export function warn(message: string): void { logWrite(LogLevel.Warn, message, NO_FIELDS); }
  export function error(message: string): void { logWrite(LogLevel.Error, message, NO_FIELDS); }
  export function field(name: string, value: string): LogField { return new LogField(name, value); }
}

/** The `clock` capability: wall-clock and monotonic time. */
export namespace Clock {
  /** Wall-clock milliseconds since the Unix epoch. */
  export function nowMs(): u64 { return clockNowMs(); }
  /** Monotonic nanoseconds, for durations only. */
  export function monotonicNs(): u64 { return clockMonotonicNs(); }
}

/** The `random` capability: cryptographically secure random bytes. */
export namespace Random {
  /** `length` cryptographically secure random bytes (at most 65,536). */
  export function bytes(length: u32): Uint8Array { return randomBytes(length); }
}

/** The `crypto` capability: hashes, HMAC, constant-time comparison and signature and password checks by the host. */
export namespace Crypto {
  export function hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array { return cryptoHash(algorithm, data); }
  export function sha256(data: Uint8Array): Uint8Array { return cryptoHash(HashAlgorithm.Sha256, data); }
  /** Lower-case hex SHA-256 of `text`'s UTF-8 bytes: store keys that never hold the value itself. */
  export function sha256Hex(text: string): string { return Hex.encode(cryptoHash(HashAlgorithm.Sha256, Utf8.encode(text))); }
  export function hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return cryptoHmac(algorithm, key, data);
  }
  /** Equality in time that depends only on the lengths. */
  export function constantTimeEqual(a: Uint8Array, b: Uint8Array): bool { return cryptoConstantTimeEqual(a, b); }
  /** Verifies a JWS signature with a public JWK (JSON text); `ok` false means no match. */
  export function verifySignature(algorithm: SignatureAlgorithm, jwk: string, data: Uint8Array, signature: Uint8Array): CryptoVerifySignatureResult {
    return cryptoVerifySignature(algorithm, jwk, data, signature);
  }
  /** Checks a password against an htpasswd hash (bcrypt, {SHA}, $5$). */
  export function verifyPassword(hash: string, password: string): CryptoVerifySignatureResult {
    return cryptoVerifyPassword(hash, password);
  }
}

/** The `counters` capability: shared counters and token buckets, atomic in the store. */
export namespace Counters {
  /** Adds `delta` in a fixed window of `windowMs` and returns the new value and time to reset. */
  export function increment(key: string, delta: i64, windowMs: u64): CountersIncrementResult {
    return countersIncrement(key, delta, windowMs);
  }
  export function get(key: string, windowMs: u64): CountersIncrementResult { return countersGet(key, windowMs); }
  /**
   * Takes `cost` tokens from the token bucket `key`, refilled at `rate` per `periodMs` and holding at most
   * `burst`, in one atomic store step; a refused take changes nothing. Cost 0 reads the state.
   */
  export function take(key: string, cost: u32, rate: u32, periodMs: u64, burst: u32): CountersTakeResult {
    return countersTake(key, cost, new BucketLimit(rate, periodMs, burst));
  }
}

/** The `kv` capability: a shared key-value store with expiry. */
export namespace Kv {
  export function get(key: string): KvGetResult { return kvGet(key); }
  export function set(key: string, value: Uint8Array, ttlMs: u64): KvSetResult { return kvSet(key, value, ttlMs); }
  export function remove(key: string): KvDeleteResult { return kvDelete(key); }
}

/** The `http` capability: outbound HTTP calls to hosts the operator allows. */
export namespace Http {
  /** Sends a request to an allow-listed host and waits for the whole response. */
  export function fetch(method: string, url: string, headers: Array<Header> = [], body: Uint8Array | null = null, timeoutMs: u32 = 5000): HttpFetchResult {
    return httpFetch(new OutboundRequest(method, url, headers, body, timeoutMs));
  }
  /**
   * Queues the request and returns at once with the call's id; the worker is not held. Return from
   * `onRequest` (usually `Decision.next()`): the gateway sends the call, runs other requests
   * meanwhile, then calls `onCallResult` with the id and the answer (or its error, e.g. `timeout`).
   * Request flow only; at most 8 calls per request.
   */
  export function dispatch(method: string, url: string, headers: Array<Header> = [], body: Uint8Array | null = null, timeoutMs: u32 = 5000): HttpDispatchResult {
    return httpDispatch(new OutboundRequest(method, url, headers, body, timeoutMs));
  }
}

/** The `metrics` capability: counters, gauges and histograms in the gateway's metrics. */
export namespace Metrics {
  export function counterAdd(name: string, value: f64, labels: Array<MetricsLabel> = []): void { metricsCounterAdd(name, labels, value); }
  export function gaugeSet(name: string, value: f64, labels: Array<MetricsLabel> = []): void { metricsGaugeSet(name, labels, value); }
  export function observe(name: string, value: f64, labels: Array<MetricsLabel> = []): void { metricsHistogramObserve(name, labels, value); }
  export function label(name: string, value: string): MetricsLabel { return new MetricsLabel(name, value); }
}

/** The `expression` capability: CEL expressions compiled once and evaluated per request. */
export namespace Expression {
  /** Compiles a CEL expression once (in `configure`); keep the handle. */
  export function compile(source: string): ExpressionCompileResult { return expressionCompile(source); }
  /** Evaluates in the current flow; the value is JSON text. */
  export function evaluate(handle: u32): ExpressionEvaluateResult { return expressionEvaluate(handle); }
}

/** The `files` capability: read files the operator grants. */
export namespace Files {
  /** The content of an allow-listed file. */
  export function read(path: string): FilesReadResult { return filesRead(path); }
}

/** The `geo` capability: the country of an IP address from the operator's database. */
export namespace Geo {
  /** ISO 3166-1 alpha-2 country of an IP address (`ok` null when unknown). */
  export function country(address: string): GeoCountryResult { return geoCountry(address); }
}

/** The `json-schema` capability: JSON Schema compiled once and validated by the host. */
export namespace JsonSchema {
  export function compile(schema: string): JsonSchemaCompileResult { return jsonSchemaCompile(schema); }
  /** An empty list of violations means valid. */
  export function validate(handle: u32, document: Uint8Array): JsonSchemaValidateResult {
    return jsonSchemaValidate(handle, document);
  }
}

export { Box };
