// transform: rewrites the request's path, method and query parameters and edits JSON bodies by path,
// in requests (`request:` section, request flow) and responses (`response:` section, response flow).
// The gateway sets Content-Length for a replaced body. See README.md.
import {
  BodyNeed, Config, Decision, Flow, isJsonContentType, JsonValue, Policy, register, Request, Response,
} from "@portcullis/sdk";
import { BodyEdits } from "./body-edits";
import { PathRewrite } from "./path-rewrite";
import { QueryEdits } from "./query";
import { CONFIG_SCHEMA } from "./schema";

class Transform extends Policy {
  path: PathRewrite = new PathRewrite();
  method: string = "";
  query: QueryEdits = new QueryEdits();
  requestBodyEdits: BodyEdits = new BodyEdits();
  responseBodyEdits: BodyEdits = new BodyEdits();
  rejectInvalidBody: bool = false;

  constructor() {
    super("transform", "1.0.0");
    this.flows = [Flow.Request, Flow.Response];
    this.needsRequestBody = true;
    this.needsResponseBody = true;
    this.configSchema = JsonValue.parse(CONFIG_SCHEMA)!;
  }

  configure(config: Config): void {
    const request = config.object("request");
    if (request.has("path")) this.path = PathRewrite.read(request.object("path"));
    this.method = request.optionalString("method", "");
    if (request.has("query")) this.query = QueryEdits.read(request.object("query"));
    this.requestBodyEdits = BodyEdits.read(request.object("body"));
    this.responseBodyEdits = BodyEdits.read(config.object("response").object("body"));
    this.rejectInvalidBody = config.optionalString("invalidBody", "pass") == "reject";
    // A body is buffered only for the side that edits it: a path rewrite alone streams both.
    this.requestBody = this.requestBodyEdits.isEmpty ? BodyNeed.None : BodyNeed.Whole;
    this.responseBody = this.responseBodyEdits.isEmpty ? BodyNeed.None : BodyNeed.Whole;
  }

  onRequest(request: Request): Decision {
    const decision = Decision.next();
    const rewritten = this.path.apply(request.path);
    if (rewritten.error != "") return Decision.internalError("transform: " + rewritten.error);
    if (rewritten.path !== null) decision.setPath(rewritten.path!);
    if (this.method != "") decision.setMethod(this.method);
    if (!this.query.isEmpty) {
      const query = this.query.apply(request.query);
      if (query != request.query) decision.setQuery(query);
    }
    // Response bodies are edited only when they arrive unencoded.
    if (!this.responseBodyEdits.isEmpty) decision.setHeader("accept-encoding", "identity");
    const contentType = request.headers.get("content-type");
    const body = request.body;
    const edited = editBody(this.requestBodyEdits, body, contentType === null ? "" : contentType!, "");
    if (edited === null) return this.rejectInvalidBody ? reject(400, "TRANSFORM_BODY_NOT_JSON") : decision;
    return edited === UNCHANGED ? decision : decision.setBody(edited);
  }

  onResponse(response: Response): Decision {
    const contentType = response.headers.get("content-type");
    const encoding = response.headers.get("content-encoding");
    const edited = editBody(this.responseBodyEdits, response.body, contentType === null ? "" : contentType!, encoding === null ? "" : encoding!);
    if (edited === null) return this.rejectInvalidBody ? reject(502, "TRANSFORM_UPSTREAM_BODY_NOT_JSON") : Decision.next();
    return edited === UNCHANGED ? Decision.next() : Decision.next().setBody(edited);
  }
}

const UNCHANGED = new Uint8Array(0);

/**
 * The edited body; UNCHANGED when there is nothing to edit (no edits, or an empty body); null when
 * the body is not JSON (its content type, a content encoding, or text that does not parse).
 */
function editBody(edits: BodyEdits, body: Uint8Array | null, contentType: string, encoding: string): Uint8Array | null {
  if (edits.isEmpty || body === null || body.length == 0) return UNCHANGED;
  if (!isJsonContentType(contentType) || (encoding != "" && encoding.toLowerCase() != "identity")) return null;
  const document = JsonValue.parse(String.UTF8.decode(body.buffer));
  if (document === null) return null;
  edits.apply(document);
  return Uint8Array.wrap(String.UTF8.encode(document.toString()));
}

function reject(status: i32, code: string): Decision {
  return Decision.respondJson(status, JsonValue.object().set("code", JsonValue.string(code)));
}

register(new Transform());
