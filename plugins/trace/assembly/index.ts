// trace: W3C Trace Context for the hop upstream. A valid incoming `traceparent` keeps its trace id and
// sampled flag and gets a new span id (the gateway's); a missing, repeated or invalid one starts a new
// trace with ids from the `random` capability (and its `tracestate` is dropped). Metadata `trace` carries
// the ids to later policies, expressions and the access log; the response flow can echo them.
import { Config, Decision, Flow, JsonValue, Policy, Random, register, Request, Response } from "@portcullis/sdk";
import { CONFIG_SCHEMA } from "./schema";
import { idFrom, parseTraceparent, TraceParent } from "./trace-context";
import { isValidKey, nextTracestate } from "./trace-state";

const METADATA_KEY = "trace";

class Trace extends Policy {
  sampled: bool = true;
  tracestateKey: string = "";
  echoTraceparent: bool = false;
  traceIdHeader: string = "";

  constructor() {
    super("trace", "1.0.0");
    this.flows = [Flow.Request, Flow.Response];
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    this.sampled = config.optionalBool("sampled", true);
    this.tracestateKey = config.optionalString("tracestateKey", "");
    if (this.tracestateKey != "" && !isValidKey(this.tracestateKey)) {
      config.invalid("tracestateKey", "is not a tracestate key (lower-case letters, digits, _ - * /, optionally tenant@system)");
    }
    const response = config.object("response");
    this.echoTraceparent = response.optionalBool("traceparent", false);
    this.traceIdHeader = response.optionalString("traceIdHeader", "").toLowerCase();
  }

  onRequest(request: Request): Decision {
    const fields = request.headers.getAll("traceparent");
    const incoming = fields.length == 1 ? parseTraceparent(fields[0]) : null;
    const ids = newIds(incoming === null);
    const outgoing = incoming === null
      ? new TraceParent(ids.traceId, ids.spanId, this.sampled)
      : new TraceParent(incoming.traceId, ids.spanId, incoming.sampled);
    const traceparent = outgoing.toString();
    const decision = Decision.next().setHeader("traceparent", traceparent);

    const received = incoming === null ? new Array<string>() : request.headers.getAll("tracestate");
    const tracestate = nextTracestate(received, this.tracestateKey, ids.spanId);
    if (tracestate != "") decision.setHeader("tracestate", tracestate);
    else if (request.headers.has("tracestate")) decision.removeHeader("tracestate");

    const trace = JsonValue.object()
      .set("traceId", JsonValue.string(outgoing.traceId))
      .set("spanId", JsonValue.string(ids.spanId))
      .set("parentId", incoming === null ? JsonValue.null() : JsonValue.string(incoming.parentId))
      .set("sampled", JsonValue.bool(outgoing.sampled))
      .set("traceparent", JsonValue.string(traceparent));
    return decision.setMetadata(METADATA_KEY, trace);
  }

  onResponse(response: Response): Decision {
    const decision = Decision.next();
    if (!this.echoTraceparent && this.traceIdHeader == "") return decision;
    const trace = response.metadata.get(METADATA_KEY);
    if (trace === null) return decision;
    const traceparent = trace.get("traceparent");
    const traceId = trace.get("traceId");
    if (this.echoTraceparent && traceparent !== null && traceparent.isString) decision.setHeader("traceparent", traceparent.stringValue);
    if (this.traceIdHeader != "" && traceId !== null && traceId.isString) decision.setHeader(this.traceIdHeader, traceId.stringValue);
    return decision;
  }
}

class Ids {
  constructor(public traceId: string, public spanId: string) {}
}

/** A new span id, and a new trace id when `newTrace`, from one call to the `random` capability. */
function newIds(newTrace: bool): Ids {
  const bytes = Random.bytes(newTrace ? 24 : 8);
  return new Ids(newTrace ? idFrom(bytes, 8, 24) : "", idFrom(bytes, 0, 8));
}

register(new Trace());
