// @portcullis/sdk: write a gateway policy in AssemblyScript.
//
//   import { Policy, Request, Decision, Config, register } from "@portcullis/sdk";
//
// See the SDK README for the whole API. The canonical ABI underneath lives in
// bindings/ (generated) and runtime/; authors never need it.
export { Policy, register, Flow, BodyNeed } from "./api/policy";
export { Decision } from "./api/decision";
export { Request, Response, Fault, FaultKind, RequestInfo } from "./api/messages";
export { Headers } from "./api/headers";
export { Metadata } from "./api/metadata";
export { Config, ConfigProblem } from "./api/config";
export { JsonValue, JsonKind, isJsonContentType } from "./api/json";
export { JsonPath, JsonMatch } from "./api/json-path";
export { Base64, Base64Url } from "./api/base64";
export { Hex } from "./api/hex";
export { Utf8 } from "./api/utf8";
export { QueryParam, parseQuery, formDecode, formEncode } from "./api/query";
export { Wire } from "./api/wire";
export { DynamicValue } from "./api/dynamic-value";
export { IpAddress, CidrRange, CidrParse, CidrList } from "./api/ip";
export * from "./api/capabilities";
export { Header } from "./bindings/generated";
export { Regex, RegexFlags, RegexCompiled, RegexMatches, RegexOutcome, RegexMatch, RegexError, RegexErrorTag, Span, regexErrorMessage, REGEX_MAX_MATCHES } from "./api/regex";
export { Utf8Offsets } from "./api/utf8-offsets";
export { HttpDate } from "./api/http-date";
export { Sse, SseEvent } from "./api/sse";
