// What one request's scan found: the first finding to block on, the kinds seen, and `log` findings,
// written as they are recorded (the kind and where, never the value).
import { Decision, JsonValue, Log, LogLevel } from "@portcullis/sdk";
import { Action, Finding } from "./scanner";

const MAX_LOG_LINES = 20;

export class Report {
  blocked: Finding | null = null;
  blockedAt: string = "";
  kinds: Array<string> = [];
  private logLines: i32 = 0;

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
        Log.write(LogLevel.Warn, "personal data in request", [Log.field("kind", rule.kind), Log.field("location", location)]);
      }
    }
    return mask;
  }

  /** 400 with the code of the kind found and where, never the data. */
  rejection(): Decision {
    const rule = this.blocked!.rule;
    return Decision.respondJson(
      400,
      JsonValue.object()
        .set("code", JsonValue.string(rule.code))
        .set("message", JsonValue.string("the request contains " + rule.description))
        .set("location", JsonValue.string(this.blockedAt)),
    );
  }

  /** Metadata `pii`: `{"kinds":["email","phone"]}`. */
  metadata(): JsonValue {
    const kinds = JsonValue.array();
    for (let i = 0; i < this.kinds.length; i++) kinds.push(JsonValue.string(this.kinds[i]));
    return JsonValue.object().set("kinds", kinds);
  }
}
