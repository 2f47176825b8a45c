// data-mask: masks values in response bodies before they reach the client: by JSON path, by field
// name anywhere in the document, or by built-in detectors and operator regex patterns over text.
// See README.md.
import {
  Config, Decision, Flow, isJsonContentType, JsonPath, JsonValue, Policy, register, Request, Response,
} from "@portcullis/sdk";
import { maskDigitRuns, maskEmails } from "./detectors";
import { maskValue, MaskStyle } from "./mask";
import { RegexRule } from "./regex-rule";
import { CONFIG_SCHEMA } from "./schema";

enum Detector {
  None,
  Digits,
  Email,
  Regex,
}

class Rule {
  path: JsonPath | null = null;
  detector: Detector = Detector.None;
  minDigits: i32 = 8;
  maxDigits: i32 = 19;
  luhn: bool = false;
  regex: RegexRule | null = null;
  constructor(public style: MaskStyle) {}

  maskText(text: string): string {
    if (this.detector == Detector.Regex) return this.regex!.mask(text, this.style);
    if (this.detector == Detector.Digits) return maskDigitRuns(text, this.minDigits, this.maxDigits, this.luhn, this.style);
    return maskEmails(text, this.style);
  }
}

class DataMask extends Policy {
  rules: Array<Rule> = [];
  hasDetectors: bool = false;
  rejectInvalid: bool = true;

  constructor() {
    super("data-mask", "1.0.0");
    this.flows = [Flow.Request, Flow.Response];
    this.needsResponseBody = true;
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    const defaults = readStyle(config, new MaskStyle("*", 0, 0));
    this.rejectInvalid = config.optionalString("invalidBody", "reject") == "reject";
    if (!config.has("rules")) return config.invalid("rules", "is required (a list of rules)");
    const items = config.objectList("rules");
    this.rules = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const rule = new Rule(readStyle(item, defaults));
      if (item.has("path")) rule.path = parsePath(item, "path", item.requireString("path"));
      else if (item.has("field")) rule.path = parsePath(item, "field", "$..[" + quote(item.requireString("field")) + "]");
      else if (item.json.get("pattern") !== null && item.json.get("pattern")!.isObject) {
        rule.detector = Detector.Regex;
        rule.regex = RegexRule.read(item.object("pattern"));
        this.hasDetectors = true;
      } else {
        rule.detector = item.requireString("pattern") == "email" ? Detector.Email : Detector.Digits;
        rule.minDigits = <i32>item.optionalInteger("minDigits", 8, 1, 64);
        rule.maxDigits = <i32>item.optionalInteger("maxDigits", 19, 1, 64);
        rule.luhn = item.optionalBool("luhn", false);
        if (rule.minDigits > rule.maxDigits) item.invalid("maxDigits", "must not be below minDigits");
        this.hasDetectors = true;
      }
      this.rules.push(rule);
    }
  }

  /** Asks the upstream for an unencoded body, so the response flow can read it. */
  onRequest(request: Request): Decision {
    return Decision.next().setHeader("accept-encoding", "identity");
  }

  onResponse(response: Response): Decision {
    const body = response.body;
    if (body === null || body.length == 0) return Decision.next();
    const contentType = response.headers.get("content-type");
    const type = contentType === null ? "" : contentType!;
    const isJson = isJsonContentType(type);
    if (!isJson && !(this.hasDetectors && isText(type))) return Decision.next();
    const encoding = response.headers.get("content-encoding");
    if (encoding !== null && encoding!.toLowerCase() != "identity") return this.invalid("DATA_MASK_BODY_ENCODED");
    const text = String.UTF8.decode(body.buffer);
    if (!isJson) return Decision.next().setBodyText(this.maskText(text));
    const document = JsonValue.parse(text);
    if (document === null) return this.invalid("DATA_MASK_BODY_INVALID");
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      const path = rule.path;
      if (path !== null) {
        const found = path.matches(document);
        for (let j = 0; j < found.length; j++) found[j].replace(maskValue(found[j].value, rule.style));
      } else {
        maskStrings(document, rule);
      }
    }
    return Decision.next().setBodyText(document.toString());
  }

  private maskText(text: string): string {
    for (let i = 0; i < this.rules.length; i++) if (this.rules[i].path === null) text = this.rules[i].maskText(text);
    return text;
  }

  /** A body that should be masked but cannot be read: 502 (default), or passed on as it is. */
  private invalid(code: string): Decision {
    if (!this.rejectInvalid) return Decision.next();
    return Decision.respondJson(502, JsonValue.object().set("code", JsonValue.string(code)));
  }
}

/** Applies a detector to every string inside `value`, and to every number written with digits only. */
function maskStrings(value: JsonValue, rule: Rule): void {
  for (let i = 0; i < value.items.length; i++) {
    const item = value.items[i];
    if (item.isString) {
      const masked = rule.maskText(item.stringValue);
      if (masked != item.stringValue) value.items[i] = JsonValue.string(masked);
    } else if (item.isNumber && rule.detector != Detector.Email) {
      const masked = rule.maskText(item.numberText);
      if (masked != item.numberText) value.items[i] = JsonValue.string(masked);
    } else {
      maskStrings(item, rule);
    }
  }
}

function readStyle(config: Config, defaults: MaskStyle): MaskStyle {
  return new MaskStyle(
    config.optionalString("mask", defaults.mask),
    <i32>config.optionalInteger("keepFirst", defaults.keepFirst, 0, 64),
    <i32>config.optionalInteger("keepLast", defaults.keepLast, 0, 64),
  );
}

function parsePath(config: Config, key: string, text: string): JsonPath | null {
  const path = JsonPath.parse(text);
  if (path === null) config.invalid(key, JsonPath.lastError);
  else if (path.isRoot) config.invalid(key, "must name a member or an item, not the whole document ($)");
  return path;
}

/** A field name as a quoted path segment. */
function quote(name: string): string {
  return "\"" + name.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"") + "\"";
}

/** `text/*` and XML bodies are text the detectors apply to; other non-JSON types stay untouched. */
function isText(contentType: string): bool {
  const semicolon = contentType.indexOf(";");
  const type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase();
  return type.startsWith("text/") || type == "application/xml" || type.endsWith("+xml");
}

register(new DataMask());
