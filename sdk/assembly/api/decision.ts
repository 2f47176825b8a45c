// What a policy answers: go on (with edits) or respond, or fail.
import {
  DirectResponse, FlowError, Header, HeaderEdit, MetadataEdit, MetadataEntry, OnRequestResult,
  OnResponseResult, RequestDecision, RequestEdits, ResponseDecision, ResponseEdits,
} from "../bindings/generated";
import { Box } from "../runtime/abi";
import { cookieValue, withoutCookie } from "./cookies";
import { JsonValue } from "./json";
import { RequestInfo } from "./messages";
import { withoutQueryParam } from "./query";

enum Outcome {
  Next,
  Respond,
  Unavailable,
  Internal,
}

/** What a flow function returns: go on (with edits) or answer the client directly. */
export class Decision {
  private outcome: Outcome = Outcome.Next;
  private status: i32 = -1;
  private method: string | null = null;
  private path: string | null = null;
  private query: string | null = null;
  private body: Uint8Array | null = null;
  private message: string = "";
  private readonly headers: Array<HeaderEdit> = [];
  private readonly responseHeaders: Array<Header> = [];
  private readonly metadata: Array<MetadataEdit> = [];
  private readonly removedQueryParams: Array<string> = [];
  private readonly removedCookies: Array<string> = [];

  /** Go on to the next policy (and upstream); add edits with the methods below. */
  static next(): Decision {
    return new Decision();
  }

  /** Answer now with `status` and a text body (content-type text/plain). */
  static respond(status: i32, body: string = ""): Decision {
    const decision = new Decision();
    decision.outcome = Outcome.Respond;
    decision.status = status;
    decision.body = Uint8Array.wrap(String.UTF8.encode(body));
    if (body.length > 0) decision.responseHeaders.push(new Header("content-type", "text/plain; charset=utf-8"));
    return decision;
  }

  /** Answer now with `status` and a JSON body. */
  static respondJson(status: i32, body: JsonValue): Decision {
    const decision = Decision.respond(status, "");
    decision.body = Uint8Array.wrap(String.UTF8.encode(body.toString()));
    decision.responseHeaders.push(new Header("content-type", "application/json"));
    return decision;
  }

  /** Fail: a service the policy depends on is unavailable (the gateway answers 503). */
  static unavailable(message: string): Decision {
    const decision = new Decision();
    decision.outcome = Outcome.Unavailable;
    decision.message = message;
    return decision;
  }

  /** Fail for a reason of the policy's own (the gateway answers 500). */
  static internalError(message: string): Decision {
    const decision = new Decision();
    decision.outcome = Outcome.Internal;
    decision.message = message;
    return decision;
  }

  /** Replaces every header `name` (of the request or response going on, or of the direct response). */
  setHeader(name: string, value: string): Decision {
    if (this.outcome == Outcome.Respond) {
      this.removeResponseHeader(name);
      this.responseHeaders.push(new Header(name.toLowerCase(), value));
    } else this.headers.push(HeaderEdit.makeSet(new Header(name.toLowerCase(), value)));
    return this;
  }

  /** Adds a header field, keeping others of the same name. */
  appendHeader(name: string, value: string): Decision {
    if (this.outcome == Outcome.Respond) this.responseHeaders.push(new Header(name.toLowerCase(), value));
    else this.headers.push(HeaderEdit.makeAppend(new Header(name.toLowerCase(), value)));
    return this;
  }

  removeHeader(name: string): Decision {
    if (this.outcome == Outcome.Respond) this.removeResponseHeader(name);
    else this.headers.push(HeaderEdit.makeRemove(name.toLowerCase()));
    return this;
  }

  private removeResponseHeader(name: string): void {
    const lower = name.toLowerCase();
    for (let i = this.responseHeaders.length - 1; i >= 0; i--) {
      if (this.responseHeaders[i].name.toLowerCase() == lower) this.responseHeaders.splice(i, 1);
    }
  }

  /** Request flow only. */
  setMethod(method: string): Decision { this.method = method; return this; }
  /** Request flow only: the path without the query. */
  setPath(path: string): Decision { this.path = path; return this; }
  /** Request flow only: the whole query string without `?`. */
  setQuery(query: string): Decision { this.query = query; return this; }
  /**
   * Request flow only: drops every query parameter whose decoded name is `name`, keeping the others
   * byte for byte (applied after `setQuery`, to the query it set, else to the request's).
   */
  removeQueryParam(name: string): Decision { this.removedQueryParams.push(name); return this; }
  /**
   * Request flow only: rewrites the request's Cookie headers without cookie `name` (a header left
   * empty is removed). Do not combine with `setHeader`/`appendHeader` of `cookie` in one decision.
   */
  removeCookie(name: string): Decision { this.removedCookies.push(name); return this; }
  /** Response and fault flows: replaces the status. */
  setStatus(status: i32): Decision { this.status = status; return this; }

  setBody(body: Uint8Array): Decision { this.body = body; return this; }
  setBodyText(body: string): Decision { return this.setBody(Uint8Array.wrap(String.UTF8.encode(body))); }

  /** Sets per-request metadata for later policies and expressions. */
  setMetadata(key: string, value: JsonValue): Decision {
    this.metadata.push(MetadataEdit.makeSet(new MetadataEntry(key, value.toString())));
    return this;
  }

  removeMetadata(key: string): Decision {
    this.metadata.push(MetadataEdit.makeRemove(key));
    return this;
  }

  private flowError(): FlowError {
    return this.outcome == Outcome.Unavailable ? FlowError.makeUnavailable(this.message) : FlowError.makeInternal(this.message);
  }

  private direct(): DirectResponse {
    const body = this.body;
    return new DirectResponse(<u16>this.status, this.responseHeaders, body === null ? new Uint8Array(0) : body, this.metadata);
  }

  /** Applies the query parameter and cookie removals to what `request` carries. */
  private applyRemovals(request: RequestInfo): void {
    if (this.removedQueryParams.length > 0) {
      const original = this.query;
      let query = original === null ? request.query : original;
      for (let i = 0; i < this.removedQueryParams.length; i++) query = withoutQueryParam(query, this.removedQueryParams[i]);
      if (original !== null || query != request.query) this.query = query;
    }
    if (this.removedCookies.length == 0) return;
    const values = request.headers.getAll("cookie");
    const rewritten = new Array<string>();
    let changed = false;
    for (let i = 0; i < values.length; i++) {
      let value = values[i];
      for (let j = 0; j < this.removedCookies.length; j++) {
        const name = this.removedCookies[j];
        if (cookieValue(value, name) === null) continue;
        value = withoutCookie(value, name);
        changed = true;
      }
      if (value != "") rewritten.push(value);
    }
    if (!changed) return;
    this.headers.push(HeaderEdit.makeRemove("cookie"));
    for (let i = 0; i < rewritten.length; i++) this.headers.push(HeaderEdit.makeAppend(new Header("cookie", rewritten[i])));
  }

  toRequestResult(request: RequestInfo): OnRequestResult {
    if (this.outcome == Outcome.Respond) return OnRequestResult.makeOk(RequestDecision.makeRespond(this.direct()));
    if (this.outcome != Outcome.Next) return OnRequestResult.makeErr(this.flowError());
    this.applyRemovals(request);
    const edits = new RequestEdits(this.method, this.path, this.query, this.headers, this.body, this.metadata);
    return OnRequestResult.makeOk(RequestDecision.makeContinue(edits));
  }

  toResponseResult(): OnResponseResult {
    if (this.outcome == Outcome.Respond) return OnResponseResult.makeOk(ResponseDecision.makeRespond(this.direct()));
    if (this.outcome != Outcome.Next) return OnResponseResult.makeErr(this.flowError());
    let status: Box<u16> | null = null;
    if (this.status >= 0) status = new Box<u16>(<u16>this.status);
    const edits = new ResponseEdits(status, this.headers, this.body, this.metadata);
    return OnResponseResult.makeOk(ResponseDecision.makeContinue(edits));
  }
}
