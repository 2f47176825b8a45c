// Benchmark policy: reads a header, makes one host call, answers with one edit.
import { Clock, Decision, Flow, Policy, register, Request } from "@portcullis/sdk";

class Bench extends Policy {
  constructor() {
    super("bench", "0.1.0");
    this.flows = [Flow.Request];
    this.needsRequestBody = true;
  }
  onRequest(request: Request): Decision {
    if (!request.headers.has("authorization")) return Decision.respond(401, "missing authorization");
    return Decision.next().setHeader("x-seen-at", Clock.nowMs().toString());
  }
}
register(new Bench());
