// validate: request size limits (header bytes 431, query length 414, body bytes 413) and JSON Schema
// (draft 2020-12) validation of request bodies through the host's `json-schema` capability: non-JSON
// media types 415, malformed JSON 400 BODY_NOT_JSON, violations 400 BODY_INVALID with a capped list.
import {
  BodyNeed, Config, Decision, Files, JsonSchema, JsonValue, Policy, register, Request,
} from "@portcullis/sdk";
import { CONFIG_SCHEMA } from "./schema";
import { violationsBody } from "./violations";

const NO_LIMIT: i64 = -1;
/** Bytes a header field takes on the wire besides its name and value: ": " and CRLF. */
const FIELD_OVERHEAD = 4;

class Validate extends Policy {
  maxHeaderBytes: i64 = NO_LIMIT;
  maxBodyBytes: i64 = NO_LIMIT;
  maxQueryLength: i64 = NO_LIMIT;
  schema: i32 = -1;
  methods: Array<string> = [];
  rejectNonJson: bool = true;
  maxViolations: i32 = 10;
  maxErrorBytes: i32 = 4096;

  constructor() {
    super("validate", "1.0.0");
    this.needsRequestBody = true;
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    this.maxHeaderBytes = config.optionalInteger("maxHeaderBytes", NO_LIMIT, 1, 1_048_576);
    this.maxBodyBytes = config.optionalInteger("maxBodyBytes", NO_LIMIT, 0, 1_073_741_824);
    this.maxQueryLength = config.optionalInteger("maxQueryLength", NO_LIMIT, 0, 1_048_576);
    this.methods = config.has("methods") ? config.optionalStringList("methods") : ["POST", "PUT", "PATCH"];
    this.rejectNonJson = config.optionalString("nonJson", "reject") != "pass";
    this.maxViolations = <i32>config.optionalInteger("maxViolations", 10, 1, 50);
    this.maxErrorBytes = <i32>config.optionalInteger("maxErrorBytes", 4096, 256, 65_536);
    if (!config.ok) return;
    const inline = config.json.get("schema");
    if (inline !== null && config.has("schemaFile")) config.invalid("schemaFile", "give schema or schemaFile, not both");
    else if (inline !== null) this.schema = compileSchema(config, "schema", inline.toString());
    else if (config.has("schemaFile")) this.schema = compileSchema(config, "schemaFile", readSchemaFile(config));
    // Header and query limits alone leave the body streaming.
    this.requestBody = this.schema >= 0 || this.maxBodyBytes != NO_LIMIT ? BodyNeed.Whole : BodyNeed.None;
  }

  onRequest(request: Request): Decision {
    if (this.maxHeaderBytes != NO_LIMIT && headerBytes(request) > this.maxHeaderBytes) {
      return reject(431, "HEADERS_TOO_LARGE", `the request headers exceed ${this.maxHeaderBytes.toString()} bytes`);
    }
    if (this.maxQueryLength != NO_LIMIT && <i64>String.UTF8.byteLength(request.query) > this.maxQueryLength) {
      return reject(414, "QUERY_TOO_LONG", `the query string exceeds ${this.maxQueryLength.toString()} bytes`);
    }
    if (this.maxBodyBytes != NO_LIMIT && bodyBytes(request) > this.maxBodyBytes) {
      return reject(413, "BODY_TOO_LARGE", `the request body exceeds ${this.maxBodyBytes.toString()} bytes`);
    }
    if (this.schema < 0 || !this.methods.includes(request.method)) return Decision.next();
    if (!isJsonMediaType(request.headers.get("content-type"))) {
      if (!this.rejectNonJson) return Decision.next();
      return reject(415, "UNSUPPORTED_MEDIA_TYPE", "the request body must be JSON (application/json or application/*+json)");
    }
    const body = request.body;
    const validated = JsonSchema.validate(<u32>this.schema, body === null ? new Uint8Array(0) : body);
    if (!validated.isOk) {
      if (validated.err!.invalidDocumentValue !== null) return reject(400, "BODY_NOT_JSON", "the request body is not valid JSON");
      return Decision.internalError("json-schema: the compiled schema is gone");
    }
    const violations = validated.ok!;
    if (violations.length == 0) return Decision.next();
    return Decision.respondJson(400, violationsBody(violations, this.maxViolations, this.maxErrorBytes));
  }
}

function reject(status: i32, code: string, message: string): Decision {
  return Decision.respondJson(status, JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message)));
}

function compileSchema(config: Config, key: string, text: string): i32 {
  if (!config.ok) return -1;
  const compiled = JsonSchema.compile(text);
  if (compiled.isOk) return <i32>compiled.ok;
  const error = compiled.err!;
  const invalid = error.invalidSchemaValue;
  const reason = invalid !== null ? invalid : "not valid JSON";
  config.invalid(key, "does not compile: " + reason);
  return -1;
}

function readSchemaFile(config: Config): string {
  const path = config.requireString("schemaFile");
  const read = Files.read(path);
  if (!read.isOk) {
    const error = read.err!;
    const unreadable = error.unreadableValue;
    config.invalid("schemaFile", unreadable !== null ? "cannot be read: " + unreadable : `${path} is not allowed by the files grant`);
    return "";
  }
  return String.UTF8.decode(read.ok!.buffer);
}

/** Name + value + ": " and CRLF per field, in UTF-8 bytes. */
function headerBytes(request: Request): i64 {
  let total: i64 = 0;
  const headers = request.headers;
  for (let i = 0; i < headers.size; i++) {
    total += String.UTF8.byteLength(headers.nameAt(i)) + String.UTF8.byteLength(headers.valueAt(i)) + FIELD_OVERHEAD;
  }
  return total;
}

/** The declared Content-Length when there is one (the client's own claim), else the bytes received. */
function bodyBytes(request: Request): i64 {
  const declared = request.headers.get("content-length");
  const body = request.body;
  const received: i64 = body === null ? 0 : body.length;
  if (declared === null || declared.length == 0 || declared.length > 15) return received;
  for (let i = 0; i < declared.length; i++) {
    const c = declared.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return received;
  }
  const length = I64.parseInt(declared);
  return length > received ? length : received;
}

/** `application/json` or `application/<anything>+json`, parameters ignored. */
function isJsonMediaType(contentType: string | null): bool {
  if (contentType === null) return false;
  const semicolon = contentType.indexOf(";");
  const type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase();
  return type == "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

register(new Validate());
