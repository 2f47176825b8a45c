// pii-guard: finds personal data in requests before they reach a backend or an AI agent: US social security
// numbers, payment card numbers, e-mail addresses, phone numbers, IBANs and operator-defined shapes, in the
// body (JSON string values and card numbers as numbers, or plain text) and optionally the query string and
// named headers; with `scan.response` also in answers (JSON, text, or server-sent events whole or event
// by event). Operator patterns are shapes or RE2 regular expressions (the host's `regex` capability).
// Per kind: block (400 PII_<KIND>, 502 for an answer, a JSON-RPC error on an MCP route; never echoing
// the data), mask in place, or log.
import { BodyNeed, Config, Decision, Flow, formEncode, Headers, isJsonContentType, JsonValue, Policy, Regex, register, Request, Response, Sse } from "@portcullis/sdk";
import { jsonValueTokens, JsonValueToken } from "./json-values";
import { formatQuery, parseQuery } from "./query";
import { Report } from "./report";
import { Action, Finding, masked, Rule, Scanner } from "./scanner";
import { CONFIG_SCHEMA } from "./schema";
import { ShapePattern } from "./shape-pattern";

const ACTIONS = ["block", "mask", "log"];
/** JSON-RPC error codes of a refusal on an MCP route: bad arguments, and an answer that cannot be passed on. */
const RPC_INVALID_PARAMS: i64 = -32602;
const RPC_INTERNAL_ERROR: i64 = -32603;

class PiiGuard extends Policy {
  scanner: Scanner = new Scanner();
  scanBody: bool = true;
  scanResponse: bool = false;
  scanQuery: bool = false;
  scanHeaders: Array<string> = [];
  blockUnscannable: bool = true;
  maskChar: string = "*";

  constructor() {
    super("pii-guard", "1.0.0");
    this.flows = [Flow.Request, Flow.Response];
    this.needsRequestBody = true;
    this.needsResponseBody = true;
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    const detectors = config.object("detectors");
    const scanner = new Scanner();
    scanner.ssn = builtIn(detectors, "ssn", "PII_SSN", "a US social security number");
    scanner.card = builtIn(detectors, "card", "PII_CARD", "a payment card number");
    scanner.email = builtIn(detectors, "email", "PII_EMAIL", "an e-mail address");
    scanner.phone = builtIn(detectors, "phone", "PII_PHONE", "a phone number");
    scanner.iban = builtIn(detectors, "iban", "PII_IBAN", "an IBAN");
    readPatterns(config, scanner);
    const enabled = detectors.json.keys.length + scanner.patterns.length + scanner.regexes.length;
    if (config.ok && enabled == 0) config.invalid("detectors", "enables no detector, and no pattern is given");
    this.scanner = scanner;

    const scan = config.object("scan");
    this.scanBody = scan.optionalBool("body", true);
    this.requestBody = this.scanBody ? BodyNeed.Whole : BodyNeed.None;
    this.scanResponse = scan.optionalBool("response", false);
    this.responseBody = this.scanResponse ? BodyNeed.Whole : BodyNeed.None;
    this.scanQuery = scan.optionalBool("query", false);
    this.scanHeaders = scan.optionalStringList("headers");
    for (let i = 0; i < this.scanHeaders.length; i++) this.scanHeaders[i] = this.scanHeaders[i].toLowerCase();
    const unscannable = config.optionalString("unscannable", "block");
    if (unscannable != "block" && unscannable != "allow") config.invalid("unscannable", "must be block or allow");
    this.blockUnscannable = unscannable == "block";
    this.maskChar = config.optionalString("maskChar", "*");
    if (this.maskChar.length != 1 || isAlnumText(this.maskChar)) config.invalid("maskChar", "must be one character other than a letter or digit");
  }

  onRequest(request: Request): Decision {
    const report = new Report();
    const decision = Decision.next();
    for (let i = 0; i < this.scanHeaders.length && report.blocked === null; i++) this.guardHeader(request, this.scanHeaders[i], report, decision);
    if (this.scanQuery && report.blocked === null) this.guardQuery(request.query, report, decision);
    if (this.scanBody && report.blocked === null && request.body !== null && request.body!.length > 0) {
      const refusal = this.guardBody(request.headers, request.bodyText(), report, decision, 415);
      if (refusal !== null) return refusal;
    }
    if (report.blocked !== null) return report.rejection(400, request.metadata.get("mcp"), RPC_INVALID_PARAMS);
    if (report.kinds.length > 0) decision.setMetadata("pii", report.metadata());
    return decision;
  }

  /**
   * With `scan.response`, the answer's body as the request's (an unscannable one gets 502). In the
   * event-by-event flow the head and end phases carry no body, and each call's events are scanned alone.
   */
  onResponse(response: Response): Decision {
    const body = response.body;
    if (!this.scanResponse || body === null || body.length == 0) return Decision.next();
    const report = new Report("answer");
    const decision = Decision.next();
    const refusal = this.guardBody(response.headers, response.bodyText(), report, decision, 502, firstEventIndex(response));
    if (refusal !== null) return refusal;
    if (report.blocked !== null) return report.rejection(502, response.metadata.get("mcp"), RPC_INTERNAL_ERROR);
    if (report.kinds.length > 0) decision.setMetadata("pii", report.metadata(response.metadata.get("pii")));
    return decision;
  }

  private guardHeader(request: Request, name: string, report: Report, decision: Decision): void {
    const values = request.headers.getAll(name);
    const found = this.scanner.scanAll(values);
    let changed = false;
    for (let i = 0; i < values.length; i++) {
      const findings = found[i];
      if (findings.length > 0 && report.add(findings, "header:" + name)) {
        values[i] = masked(values[i], findings, this.maskChar);
        changed = true;
      }
    }
    if (!changed) return;
    decision.setHeader(name, values[0]);
    for (let i = 1; i < values.length; i++) decision.appendHeader(name, values[i]);
  }

  private guardQuery(query: string, report: Report, decision: Decision): void {
    const parameters = parseQuery(query);
    const values = new Array<string>();
    for (let i = 0; i < parameters.length; i++) values.push(parameters[i].value);
    const found = this.scanner.scanAll(values);
    let changed = false;
    for (let i = 0; i < parameters.length; i++) {
      const parameter = parameters[i];
      const findings = found[i];
      if (findings.length > 0 && report.add(findings, "query:" + parameter.name)) {
        parameter.text = parameter.rawName + "=" + formEncode(masked(parameter.value, findings, this.maskChar), "*");
        changed = true;
      }
    }
    if (changed) decision.setQuery(formatQuery(parameters));
  }

  /**
   * Scans JSON, text and event-stream bodies; a direct `unscannableStatus` when the body cannot be
   * scanned and `unscannable` is block. `firstEvent` numbers the events of an event-stream body.
   */
  private guardBody(headers: Headers, text: string, report: Report, decision: Decision, unscannableStatus: i32, firstEvent: i32 = 0): Decision | null {
    const encoding = headers.get("content-encoding");
    const contentType = headers.get("content-type");
    const media = mediaType(contentType);
    const json = contentType !== null && isJsonContentType(contentType);
    const encoded = encoding !== null && encoding.trim().toLowerCase() != "identity";
    if (encoded || (!json && !isText(media))) {
      if (!this.blockUnscannable) return null;
      return Decision.respondJson(
        unscannableStatus,
        JsonValue.object()
          .set("code", JsonValue.string("PII_UNSCANNABLE"))
          .set("message", JsonValue.string("the body must be uncompressed JSON or text to be checked for personal data")),
      );
    }
    let replaced: string | null;
    if (media == "text/event-stream") replaced = this.guardEvents(text, report, firstEvent);
    else if (json) replaced = this.guardContent(text, true, report, "body");
    else replaced = this.guardText(text, report, "body");
    if (replaced !== null && report.blocked === null) decision.setBodyText(replaced);
    return null;
  }

  /** Each event's data scanned as JSON when it is a JSON object or array, else as text; other fields kept. */
  private guardEvents(text: string, report: Report, firstEvent: i32): string | null {
    const events = Sse.events(text);
    let changed = false;
    for (let i = 0; i < events.length && report.blocked === null; i++) {
      const data = events[i].data;
      if (data === null) continue;
      const first = data.trimStart();
      const replaced = this.guardContent(data, first.startsWith("{") || first.startsWith("["), report, "event:" + (firstEvent + i).toString());
      if (replaced === null) continue;
      events[i].setData(replaced);
      changed = true;
    }
    return changed ? Sse.join(events) : null;
  }

  /** JSON scanned value by value (a document that does not parse is scanned as text); findings located under `where`. */
  private guardContent(text: string, json: bool, report: Report, where: string): string | null {
    const tokens = json ? jsonValueTokens(text, this.scanner) : null;
    return tokens !== null ? this.guardJson(text, tokens, report, where) : this.guardText(text, report, where);
  }

  /** The body with masked values re-encoded in place, or null when nothing was masked. */
  private guardJson(text: string, tokens: Array<JsonValueToken>, report: Report, where: string): string | null {
    const strings = new Array<string>();
    for (let i = 0; i < tokens.length; i++) if (!tokens[i].isNumber) strings.push(tokens[i].value);
    const found = this.scanner.scanAll(strings);
    let nextString = 0;
    const parts = new Array<string>();
    let copied = 0;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      let findings: Array<Finding>;
      if (token.isNumber) {
        if (!this.scanner.isCardNumber(token.value)) continue;
        findings = [new Finding(this.scanner.card!, 0, token.value.length)];
      } else {
        findings = found[nextString++];
        if (findings.length == 0) continue;
      }
      if (!report.add(findings, where + ":" + token.pointer(text))) continue;
      parts.push(text.substring(copied, token.start));
      parts.push(JsonValue.string(masked(token.value, findings, this.maskChar)).toString());
      copied = token.end;
    }
    if (parts.length == 0) return null;
    parts.push(text.substring(copied));
    return parts.join("");
  }

  private guardText(text: string, report: Report, where: string): string | null {
    const findings = this.scanner.scanAll([text])[0];
    if (findings.length == 0 || !report.add(findings, where)) return null;
    return masked(text, findings, this.maskChar);
  }
}

function builtIn(detectors: Config, kind: string, code: string, description: string): Rule | null {
  if (!detectors.has(kind)) return null;
  const action = actionOf(detectors, kind);
  return action < 0 ? null : new Rule(kind, code, description, <Action>action);
}

function actionOf(config: Config, key: string): i32 {
  const action = ACTIONS.indexOf(config.requireString(key));
  if (action < 0 && config.ok) config.invalid(key, "must be block, mask or log");
  return action;
}

/**
 * `patterns: [{ name, pattern | regex, action, code? }]` into the scanner's shapes and regexes, each
 * parsed or compiled once here.
 */
function readPatterns(config: Config, scanner: Scanner): void {
  const items = config.objectList("patterns");
  const names = new Array<string>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const name = item.requireString("name");
    const action = actionOf(item, "action");
    const code = item.optionalString("code", "PII_" + name.toUpperCase().replaceAll("-", "_"));
    if (!config.ok) return;
    if (names.includes(name)) return item.invalid("name", "is used by another pattern");
    names.push(name);
    const description = "data matching the pattern " + name;
    if (item.has("pattern") == item.has("regex")) return item.invalid("pattern", "give exactly one of pattern (a shape) and regex");
    if (item.has("regex")) {
      const regex = compileRegex(item);
      if (regex === null) return;
      scanner.regexes.push(new Rule(name, code, description, <Action>action, null, regex));
      continue;
    }
    const shape = ShapePattern.parse(item.requireString("pattern"));
    if (shape === null) return item.invalid("pattern", ShapePattern.lastError);
    scanner.patterns.push(new Rule(name, code, description, <Action>action, shape));
  }
}

/** The entry's `regex`, compiled by the host; null (the problem recorded) when it does not compile or matches the empty text. */
function compileRegex(item: Config): Regex | null {
  const compiled = Regex.compile(item.requireString("regex"));
  if (!compiled.isOk) {
    item.invalid("regex", compiled.error);
    return null;
  }
  const regex = compiled.regex!;
  if (regex.test("").value) {
    item.invalid("regex", "matches the empty text, so it would match everywhere");
    return null;
  }
  return regex;
}

/** The number of the first event of this call's body in the event-by-event flow (metadata `sse`), else 0. */
function firstEventIndex(response: Response): i32 {
  const sse = response.metadata.get("sse");
  const index = sse !== null && sse.isObject ? sse.get("index") : null;
  return index !== null && index.isNumber ? <i32>index.numberValue : 0;
}

/** The media type of a content-type value, lower-case, without parameters ("" when absent). */
function mediaType(contentType: string | null): string {
  if (contentType === null) return "";
  const semicolon = contentType.indexOf(";");
  return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase();
}

/** text/event-stream is text/*: its events are scanned one by one. */
function isText(media: string): bool {
  return media == "" || media.startsWith("text/") || media == "application/x-www-form-urlencoded" || media == "application/xml" || media.endsWith("+xml");
}

function isAlnumText(text: string): bool {
  const c = text.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
}

register(new PiiGuard());
