// request-log: writes one log line through the `log` capability with the fields the operator selected:
// request line parts and headers, response status and headers (response flow), metadata values and CEL
// values. Sensitive headers are logged only when listed by name, and then as "[redacted]" unless
// `redact` says otherwise. Attach it to a `request` list, a `response` list, or both (one line each).
import {
  Config, Decision, Expression, Flow, JsonValue, Log, LogField, LogLevel, Metadata, Policy, Random, register, Request,
  RequestInfo, Response,
} from "@portcullis/sdk";
import { CONFIG_SCHEMA } from "./schema";

const DEFAULT_REDACT = ["authorization", "proxy-authorization", "cookie", "set-cookie"];
const REDACTED = "[redacted]";
/** The host keeps at most 32 fields per line. */
const MAX_FIELDS = 32;
const LEVELS = ["trace", "debug", "info", "warn", "error"];

class NamedExpression {
  constructor(public name: string, public handle: u32) {}
}

class RequestLog extends Policy {
  message: string = "";
  level: LogLevel = LogLevel.Info;
  request: Array<string> = [];
  requestHeaders: Array<string> = [];
  responseHeaders: Array<string> = [];
  metadata: Array<string> = [];
  expressions: Array<NamedExpression> = [];
  redact: Array<string> = [];
  samplePercent: f64 = 100;

  constructor() {
    super("request-log", "1.0.0");
    this.flows = [Flow.Request, Flow.Response];
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    this.message = config.optionalString("message", "request-log");
    const level = LEVELS.indexOf(config.optionalString("level", "info"));
    if (level < 0) config.invalid("level", "must be one of " + LEVELS.join(", "));
    else this.level = <LogLevel>level;
    this.request = config.optionalStringList("request");
    this.requestHeaders = lowerCase(config.optionalStringList("requestHeaders"));
    this.responseHeaders = lowerCase(config.optionalStringList("responseHeaders"));
    this.metadata = config.optionalStringList("metadata");
    this.redact = config.has("redact") ? lowerCase(config.optionalStringList("redact")) : DEFAULT_REDACT;
    this.samplePercent = config.optionalNumber("samplePercent", 100);
    if (this.samplePercent < 0 || this.samplePercent > 100) config.invalid("samplePercent", "must be from 0 to 100");
    this.expressions = compileExpressions(config.object("expressions"));
    checkFieldCount(config, [this.request.length, this.requestHeaders.length, this.responseHeaders.length, this.metadata.length, this.expressions.length]);
  }

  onRequest(request: Request): Decision {
    if (this.sampled()) Log.write(this.level, this.message, this.fields(request, request.metadata, null));
    return Decision.next();
  }

  onResponse(response: Response): Decision {
    if (this.sampled()) Log.write(this.level, this.message, this.fields(response.request, response.metadata, response));
    return Decision.next();
  }

  private sampled(): bool {
    if (this.samplePercent >= 100) return true;
    const bytes = Random.bytes(2);
    return (<f64>((<u32>bytes[0] << 8) | bytes[1]) / 65536.0) * 100 < this.samplePercent;
  }

  private fields(info: RequestInfo, metadata: Metadata, response: Response | null): Array<LogField> {
    const fields = new Array<LogField>();
    for (let i = 0; i < this.request.length; i++) fields.push(new LogField(this.request[i], requestPart(info, this.request[i])));
    if (response !== null) fields.push(new LogField("status", response.status.toString()));
    for (let i = 0; i < this.requestHeaders.length; i++) {
      this.pushHeader(fields, "requestHeader.", this.requestHeaders[i], info.headers.getAll(this.requestHeaders[i]));
    }
    if (response !== null) {
      for (let i = 0; i < this.responseHeaders.length; i++) {
        this.pushHeader(fields, "responseHeader.", this.responseHeaders[i], response.headers.getAll(this.responseHeaders[i]));
      }
    }
    for (let i = 0; i < this.metadata.length; i++) {
      const value = metadata.get(this.metadata[i]);
      if (value !== null) fields.push(new LogField("metadata." + this.metadata[i], textOf(value)));
    }
    for (let i = 0; i < this.expressions.length; i++) {
      const result = Expression.evaluate(this.expressions[i].handle);
      if (!result.isOk) continue;
      const value = JsonValue.parse(result.ok!);
      if (value !== null && !value.isNull) fields.push(new LogField(this.expressions[i].name, textOf(value)));
    }
    return fields;
  }

  /** Repeated fields are joined with ", "; absent headers are left out. */
  private pushHeader(fields: Array<LogField>, prefix: string, name: string, values: Array<string>): void {
    if (values.length == 0) return;
    fields.push(new LogField(prefix + name, this.redact.includes(name) ? REDACTED : values.join(", ")));
  }
}

const SELECTIONS = ["request", "requestHeaders", "responseHeaders", "metadata", "expressions"];

/** Names the selection that takes a line past 32 fields (the status counts as one). */
function checkFieldCount(config: Config, counts: Array<i32>): void {
  let fields = 1;
  for (let i = 0; i < counts.length; i++) {
    fields += counts[i];
    if (fields > MAX_FIELDS) {
      config.invalid(SELECTIONS[i], "takes the line past 32 fields (the status included), the most a line holds");
      return;
    }
  }
}

function requestPart(info: RequestInfo, name: string): string {
  if (name == "method") return info.method;
  if (name == "scheme") return info.scheme;
  if (name == "authority") return info.authority;
  if (name == "path") return info.path;
  if (name == "query") return info.query;
  if (name == "clientAddress") return info.clientAddress;
  if (name == "requestId") return info.requestId;
  if (name == "listener") return info.listener;
  return info.route;
}

/** Strings as they are, anything else as compact JSON. */
function textOf(value: JsonValue): string {
  return value.isString ? value.stringValue : value.toString();
}

function lowerCase(names: Array<string>): Array<string> {
  const lower = new Array<string>();
  for (let i = 0; i < names.length; i++) lower.push(names[i].toLowerCase());
  return lower;
}

/** `name: "<CEL>"`, compiled once here. */
function compileExpressions(config: Config): Array<NamedExpression> {
  const compiled = new Array<NamedExpression>();
  const names = config.json.keys;
  for (let i = 0; i < names.length; i++) {
    const source = config.requireString(names[i]);
    if (!config.ok) return compiled;
    const handle = Expression.compile(source);
    if (!handle.isOk) {
      config.invalid(names[i], handle.err!.invalidValue!);
      return compiled;
    }
    compiled.push(new NamedExpression(names[i], handle.ok));
  }
  return compiled;
}

register(new RequestLog());
