// What one request's (or answer's) scan found: the first finding to block on, the kinds seen, and `log`
// findings, written as they are recorded (the kind and where, never the value).
import { Decision, JsonValue, Log, LogLevel } from "@portcullis/sdk";
import { Action, Finding } from "./scanner";

const MAX_LOG_LINES = 20;

export class Report {
  blocked: Finding | null = null;
  blockedAt: string = "";
  kinds: Array<string> = [];
  private logLines: i32 = 0;

  /** `subject` is "request" or "answer", for the log line and the refusal's message. */
  constructor(public readonly subject: string = "request") {}

  /** Records `findings` found at `location` (`body:/messages/0/content`, `query:q`, `header:x-note`); true when one is to be masked. */
  add(findings: Array<Finding>, location: string): bool {
    let mask = false;
    for (let i = 0; i < findings.length; i++) {
      const rule = findings[i].rule;
      if (!this.kinds.includes(rule.kind)) this.kinds.push(rule.kind);
      if (rule.action == Action.Mask) mask = true;
      else if (rule.action == Action.Block) {
        if (this.blocked === null) {
          this.blocked = findings[i];
          this.blockedAt = location;
        }
      } else if (this.logLines < MAX_LOG_LINES) {
        this.logLines++;
        Log.write(LogLevel.Warn, "personal data in " + this.subject, [Log.field("kind", rule.kind), Log.field("location", location)]);
      }
    }
    return mask;
  }

  /**
   * The refusal, never echoing the data: `status` with `{code, message, location}`, or on an MCP route
   * (`mcp` the single JSON-RPC request the host parsed) HTTP 200 with a JSON-RPC error for its id,
   * carrying the same object as `error.data`.
   */
  rejection(status: i32, mcp: JsonValue | null, rpcCode: i64): Decision {
    const rule = this.blocked!.rule;
    const message = "the " + this.subject + " contains " + rule.description;
    const error = JsonValue.object()
      .set("code", JsonValue.string(rule.code))
      .set("message", JsonValue.string(message))
      .set("location", JsonValue.string(this.blockedAt));
    const id = mcp !== null && mcp.isObject && !mcp.has("batch") ? mcp.get("id") : null;
    if (id === null) return Decision.respondJson(status, error);
    const rpcError = JsonValue.object().set("code", JsonValue.number(<f64>rpcCode)).set("message", JsonValue.string(message)).set("data", error);
    return Decision.respondJson(200, JsonValue.object().set("jsonrpc", JsonValue.string("2.0")).set("id", id!).set("error", rpcError));
  }

  /**
   * Metadata `pii`: `{"kinds":["email","phone"]}`, after the kinds of `previous` (what the request flow,
   * or earlier events of a stream, found) so an answer's scan adds to them.
   */
  metadata(previous: JsonValue | null = null): JsonValue {
    const kinds = JsonValue.array();
    const seen = previous !== null && previous.isObject ? previous.get("kinds") : null;
    const known = new Array<string>();
    if (seen !== null && seen.isArray) {
      for (let i = 0; i < seen.length; i++) if (seen.at(i).isString) known.push(seen.at(i).stringValue);
    }
    for (let i = 0; i < this.kinds.length; i++) if (!known.includes(this.kinds[i])) known.push(this.kinds[i]);
    for (let i = 0; i < known.length; i++) kinds.push(JsonValue.string(known[i]));
    return JsonValue.object().set("kinds", kinds);
  }
}
