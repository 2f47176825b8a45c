// What a policy receives: requests, responses and faults with friendly accessors.
import {
  FaultContext, FaultKind, PolicyRequest, PolicyResponse, RequestHead,
} from "../bindings/generated";
import { cookieValue } from "./cookies";
import { Headers } from "./headers";
import { Metadata } from "./metadata";
import { parseQuery } from "./query";

export { FaultKind };

/** The request line and headers (without the body). */
export class RequestInfo {
  readonly headers: Headers;
  constructor(public readonly head: RequestHead) {
    this.headers = new Headers(head.headers);
  }
  get method(): string { return this.head.method; }
  get scheme(): string { return this.head.scheme; }
  get authority(): string { return this.head.authority; }
  get path(): string { return this.head.path; }
  get query(): string { return this.head.query; }
  get clientAddress(): string { return this.head.clientAddress; }
  get requestId(): string { return this.head.requestId; }
  get listener(): string { return this.head.listener; }
  get route(): string { return this.head.route; }

  /** The first value of query parameter `name` (names and values percent-decoded, `+` as space), or null. */
  queryParam(name: string): string | null {
    const params = parseQuery(this.head.query);
    for (let i = 0; i < params.length; i++) if (params[i].name == name) return params[i].value;
    return null;
  }

  /** Every value of query parameter `name`, in order. */
  queryParamAll(name: string): Array<string> {
    const params = parseQuery(this.head.query);
    const values = new Array<string>();
    for (let i = 0; i < params.length; i++) if (params[i].name == name) values.push(params[i].value);
    return values;
  }

  /** The value of cookie `name` (exact name; quotes removed, nothing decoded) from the Cookie headers, or null. */
  cookie(name: string): string | null {
    const headers = this.headers.getAll("cookie");
    for (let i = 0; i < headers.length; i++) {
      const value = cookieValue(headers[i], name);
      if (value !== null) return value;
    }
    return null;
  }
}

/** The request as a request-flow policy sees it: the head, the body when declared, and metadata. */
export class Request extends RequestInfo {
  readonly metadata: Metadata;
  constructor(public readonly data: PolicyRequest) {
    super(data.head);
    this.metadata = new Metadata(data.metadata);
  }
  /** The body, present only when the policy asked for it (`needsRequestBody`). */
  get body(): Uint8Array | null { return this.data.body; }
  /** The body decoded as UTF-8 ("" when absent). */
  bodyText(): string {
    const body = this.data.body;
    return body === null ? "" : String.UTF8.decode(body.buffer);
  }
}

/** The upstream's response as a response-flow policy sees it. */
export class Response {
  readonly headers: Headers;
  readonly request: RequestInfo;
  readonly metadata: Metadata;
  constructor(public readonly data: PolicyResponse) {
    this.headers = new Headers(data.head.headers);
    this.request = new RequestInfo(data.request);
    this.metadata = new Metadata(data.metadata);
  }
  get status(): u16 { return this.data.head.status; }
  /** The body, present only when the policy asked for it (`needsResponseBody`). */
  get body(): Uint8Array | null { return this.data.body; }
  bodyText(): string {
    const body = this.data.body;
    return body === null ? "" : String.UTF8.decode(body.buffer);
  }
}

/** A failed request and the error response the gateway is about to send. */
export class Fault {
  readonly request: RequestInfo;
  readonly headers: Headers;
  readonly metadata: Metadata;
  constructor(public readonly data: FaultContext) {
    this.request = new RequestInfo(data.request);
    this.headers = new Headers(data.response.headers);
    this.metadata = new Metadata(data.metadata);
  }
  get kind(): FaultKind { return this.data.fault.kind; }
  /** Status of the error response (the fault's status). */
  get status(): u16 { return this.data.fault.status; }
  /** Stable error code, e.g. `PCS_ERR_UPSTREAM_TIMEOUT`. */
  get code(): string { return this.data.fault.code; }
  /** The policy involved, or null. */
  get policy(): string | null { return this.data.fault.policy; }
  get message(): string { return this.data.fault.message; }
  /** The default error body. */
  get body(): Uint8Array { return this.data.body; }
}
