import { JsonValue } from "@portcullis/sdk";
import { Kind } from "./names";
import { McpGuard } from "./index";

/**
 * An SSE-framed answer (text/event-stream) with each event's JSON-RPC data filtered: data lines are
 * joined, parsed, filtered and written back as one `data:` line where the first one was; other
 * fields (event, id, retry, comments) are kept in order. Data that is not JSON is left as it is.
 */
export function filterEvents(text: string, guard: McpGuard, kind: Kind): string {
  const events = text.replaceAll("\r\n", "\n").split("\n\n");
  for (let e = 0; e < events.length; e++) {
    const lines = events[e].split("\n");
    const data = new Array<string>();
    let first = -1;
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith("data:")) continue;
      if (first < 0) first = i;
      const value = lines[i].substring(5);
      data.push(value.startsWith(" ") ? value.substring(1) : value);
    }
    if (first < 0) continue;
    const document = JsonValue.parse(data.join("\n"));
    if (document === null) continue;
    guard.filter(document!, kind);
    const kept = new Array<string>();
    for (let i = 0; i < lines.length; i++) {
      if (i == first) kept.push("data: " + document!.toString());
      else if (!lines[i].startsWith("data:")) kept.push(lines[i]);
    }
    events[e] = kept.join("\n");
  }
  return events.join("\n\n");
}
