// cors: answers CORS preflights in the request flow and adds the CORS response headers in the
// response flow, which the gateway runs over every response: upstream answers, other policies'
// rejections (a 401 from api-key) and the gateway's own errors alike.
import { Config, Decision, Flow, Headers, JsonValue, Policy, register, Request, Response } from "@portcullis/sdk";
import { originEntryProblem, OriginList } from "./origins";

const SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "allowOrigins": {
      "type": "array", "minItems": 1,
      "items": { "type": "string", "pattern": "^([*]|null|[a-zA-Z][a-zA-Z0-9+.-]*://[^/ ]+)$" }
    },
    "allowMethods": {
      "type": "array", "minItems": 1,
      "items": { "type": "string", "pattern": "^[A-Za-z0-9!#$%&'*+.^_|~-]+$" },
      "default": ["GET", "HEAD", "POST"]
    },
    "allowHeaders": { "type": "array", "items": { "type": "string", "pattern": "^([*]|[A-Za-z0-9!#$%&'+.^_|~-]+)$" }, "default": [] },
    "exposeHeaders": { "type": "array", "items": { "type": "string", "pattern": "^[A-Za-z0-9!#$%&'+.^_|~-]+$" }, "default": [] },
    "allowCredentials": { "type": "boolean", "default": false },
    "maxAgeSeconds": { "type": "integer", "minimum": 0, "maximum": 86400 }
  },
  "required": ["allowOrigins"],
  "additionalProperties": false
}`;

class Cors extends Policy {
  origins: OriginList = new OriginList([]);
  methods: Array<string> = [];
  headers: Array<string> = [];
  anyHeader: bool = false;
  exposeHeaders: string = "";
  allowCredentials: bool = false;
  maxAge: i64 = -1;

  constructor() {
    super("cors", "0.1.0");
    this.flows = [Flow.Request, Flow.Response];
    this.configSchema = JsonValue.parse(SCHEMA)!;
  }

  configure(config: Config): void {
    this.allowCredentials = config.optionalBool("allowCredentials", false);
    const origins = config.optionalStringList("allowOrigins");
    if (origins.length == 0) config.invalid("allowOrigins", "must list at least one origin");
    const entries = new Config(JsonValue.null(), config.path + "/allowOrigins", config.problem);
    for (let i = 0; i < origins.length; i++) {
      const problem = originEntryProblem(origins[i], this.allowCredentials);
      if (problem != "") entries.invalid(i.toString(), problem);
    }
    this.origins = new OriginList(origins);
    this.methods = config.has("allowMethods") ? config.optionalStringList("allowMethods") : ["GET", "HEAD", "POST"];
    const headers = config.optionalStringList("allowHeaders");
    for (let i = 0; i < headers.length; i++) {
      if (headers[i] == "*") this.anyHeader = true;
      else this.headers.push(headers[i].toLowerCase());
    }
    this.exposeHeaders = config.optionalStringList("exposeHeaders").join(", ");
    this.maxAge = config.optionalInteger("maxAgeSeconds", -1, 0, 86400);
  }

  onRequest(request: Request): Decision {
    const origin = request.headers.get("origin");
    const requestedMethod = request.headers.get("access-control-request-method");
    if (request.method != "OPTIONS" || origin === null || requestedMethod === null) return Decision.next();
    if (!this.origins.allows(origin)) return reject("CORS_ORIGIN_NOT_ALLOWED", "this origin may not call this API");
    if (!this.methods.includes(requestedMethod.trim())) return reject("CORS_METHOD_NOT_ALLOWED", "this method is not allowed cross-origin");
    const requestedHeaders = this.requestedHeaders(request.headers);
    if (requestedHeaders === null) return reject("CORS_HEADER_NOT_ALLOWED", "a requested header is not allowed cross-origin");
    const answer = Decision.respond(204);
    this.allowOrigin(answer, origin);
    answer.setHeader("access-control-allow-methods", this.methods.join(", "));
    if (requestedHeaders != "") answer.setHeader("access-control-allow-headers", requestedHeaders);
    if (this.maxAge >= 0) answer.setHeader("access-control-max-age", this.maxAge.toString());
    answer.setHeader("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    return answer;
  }

  onResponse(response: Response): Decision {
    const edits = Decision.next();
    if (!variesOnOrigin(response.headers)) edits.appendHeader("vary", "Origin");
    const origin = response.request.headers.get("origin");
    if (origin === null || !this.origins.allows(origin)) return edits;
    this.allowOrigin(edits, origin);
    if (this.exposeHeaders != "") edits.setHeader("access-control-expose-headers", this.exposeHeaders);
    return edits;
  }

  /** Access-Control-Request-Headers as the answer lists them ("" for none), or null when one is not allowed. */
  private requestedHeaders(headers: Headers): string | null {
    const values = headers.getAll("access-control-request-headers");
    const allowed = new Array<string>();
    for (let i = 0; i < values.length; i++) {
      const names = values[i].split(",");
      for (let j = 0; j < names.length; j++) {
        const name = names[j].trim().toLowerCase();
        if (name == "") continue;
        if (!this.anyHeader && !this.headers.includes(name)) return null;
        allowed.push(name);
      }
    }
    return allowed.join(", ");
  }

  /** The origin itself, or `*` for any origin when credentials are off; never `*` with credentials. */
  private allowOrigin(decision: Decision, origin: string): void {
    const anyOrigin = this.origins.anyOrigin && !this.allowCredentials && origin.toLowerCase() != "null";
    decision.setHeader("access-control-allow-origin", anyOrigin ? "*" : origin);
    if (this.allowCredentials) decision.setHeader("access-control-allow-credentials", "true");
  }
}

function reject(code: string, message: string): Decision {
  const body = JsonValue.object().set("code", JsonValue.string(code)).set("message", JsonValue.string(message));
  return Decision.respondJson(403, body).setHeader("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
}

/** True when a Vary field already names Origin (or `*`). */
function variesOnOrigin(headers: Headers): bool {
  const values = headers.getAll("vary");
  for (let i = 0; i < values.length; i++) {
    const names = values[i].split(",");
    for (let j = 0; j < names.length; j++) {
      const name = names[j].trim().toLowerCase();
      if (name == "origin" || name == "*") return true;
    }
  }
  return false;
}

register(new Cors());
