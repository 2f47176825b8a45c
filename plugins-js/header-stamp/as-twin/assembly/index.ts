// header-stamp in AssemblyScript: the same policy as ../policy.js, for bench/js-policy.mjs to compare
// what a JavaScript policy costs (size, cold load, per-call CPU) against the SDK's own language.
import { Config, Crypto, Clock, Decision, JsonValue, Log, LogLevel, Policy, register, Request } from "@portcullis/sdk";

class HeaderStamp extends Policy {
  header: string = "";
  stamp: string = "x-tenant-digest";
  remove: Array<string> = [];

  constructor() {
    super("header-stamp-as", "0.1.0");
  }

  configure(config: Config): void {
    this.header = config.requireString("header").toLowerCase();
    this.stamp = config.optionalString("stamp", "x-tenant-digest").toLowerCase();
    const remove = config.optionalStringList("remove");
    for (let i = 0; i < remove.length; i++) this.remove.push(remove[i].toLowerCase());
  }

  onRequest(req: Request): Decision {
    const value = req.headers.get(this.header);
    if (value == null) return Decision.respondJson(400, JsonValue.object().set("error", JsonValue.string(`missing ${this.header}`)));
    const tenant = decodeURIComponent(value);
    Log.write(LogLevel.Debug, "stamped", [Log.field("tenant", tenant)]);
    const decision = Decision.next().setHeader(this.stamp, Crypto.sha256Hex(tenant)).setHeader("x-stamped-at", Clock.nowMs().toString());
    for (let i = 0; i < this.remove.length; i++) decision.removeHeader(this.remove[i]);
    return decision;
  }
}

register(new HeaderStamp());
