// pii-guard: finds personal data in requests before they reach a backend or an AI agent: US social security
// numbers, payment card numbers, e-mail addresses, phone numbers, IBANs and operator-defined shapes, in the
// body (JSON string values and card numbers as numbers, or plain text) and optionally the query string and
// named headers. Operator patterns are shapes or RE2 regular expressions (the host's `regex` capability).
// Per kind: block (400 PII_<KIND>, never echoing the data), mask in place, or log.
import { BodyNeed, Config, Decision, formEncode, isJsonContentType, JsonValue, Policy, Regex, register, Request } from "@portcullis/sdk";
import { jsonValueTokens, JsonValueToken } from "./json-values";
import { formatQuery, parseQuery } from "./query";
import { Report } from "./report";
import { Action, Finding, masked, Rule, Scanner } from "./scanner";
import { CONFIG_SCHEMA } from "./schema";
import { ShapePattern } from "./shape-pattern";

const ACTIONS = ["block", "mask", "log"];

class PiiGuard extends Policy {
  scanner: Scanner = new Scanner();
  scanBody: bool = true;
  scanQuery: bool = false;
  scanHeaders: Array<string> = [];
  blockUnscannable: bool = true;
  maskChar: string = "*";

  constructor() {
    super("pii-guard", "1.0.0");
    this.needsRequestBody = true;
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
    if (this.scanBody && report.blocked === null) {
      const refusal = this.guardBody(request, report, decision);
      if (refusal !== null) return refusal;
    }
    if (report.blocked !== null) return report.rejection();
    if (report.kinds.length > 0) decision.setMetadata("pii", report.metadata());
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

  /** Scans JSON and text bodies; a direct 415 when the body cannot be scanned and `unscannable` is block. */
  private guardBody(request: Request, report: Report, decision: Decision): Decision | null {
    const body = request.body;
    if (body === null || body.length == 0) return null;
    const encoding = request.headers.get("content-encoding");
    const contentType = request.headers.get("content-type");
    const media = mediaType(contentType);
    const json = contentType !== null && isJsonContentType(contentType);
    const encoded = encoding !== null && encoding.trim().toLowerCase() != "identity";
    if (encoded || (!json && !isText(media))) {
      if (!this.blockUnscannable) return null;
      return Decision.respondJson(
        415,
        JsonValue.object()
          .set("code", JsonValue.string("PII_UNSCANNABLE"))
          .set("message", JsonValue.string("the body must be uncompressed JSON or text to be checked for personal data")),
      );
    }
    const text = request.bodyText();
    const tokens = json ? jsonValueTokens(text, this.scanner) : null;
    const replaced = tokens !== null ? this.guardJson(text, tokens, report) : this.guardText(text, report);
    if (replaced !== null && report.blocked === null) decision.setBodyText(replaced);
    return null;
  }

  /** The body with masked values re-encoded in place, or null when nothing was masked. */
  private guardJson(text: string, tokens: Array<JsonValueToken>, report: Report): string | null {
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
      if (!report.add(findings, "body:" + token.pointer(text))) continue;
      parts.push(text.substring(copied, token.start));
      parts.push(JsonValue.string(masked(token.value, findings, this.maskChar)).toString());
      copied = token.end;
    }
    if (parts.length == 0) return null;
    parts.push(text.substring(copied));
    return parts.join("");
  }

  private guardText(text: string, report: Report): string | null {
    const findings = this.scanner.scanAll([text])[0];
    if (findings.length == 0 || !report.add(findings, "body")) return null;
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

/** The media type of a content-type value, lower-case, without parameters ("" when absent). */
function mediaType(contentType: string | null): string {
  if (contentType === null) return "";
  const semicolon = contentType.indexOf(";");
  return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase();
}

function isText(media: string): bool {
  return media == "" || media.startsWith("text/") || media == "application/x-www-form-urlencoded" || media == "application/xml" || media.endsWith("+xml");
}

function isAlnumText(text: string): bool {
  const c = text.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
}

register(new PiiGuard());
