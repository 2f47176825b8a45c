// Server-sent event bodies (text/event-stream), event by event: a response policy reads each event's data
// and rewrites it while every other field, comment and line end stays as it came. Works the same on a
// whole buffered stream and on the events of one call of the gateway's event-by-event flow.

const CR: i32 = 13;
const LF: i32 = 10;

/** One event of an event stream: its text as sent (closing empty line included), and its data. */
export class SseEvent {
  /** The event's text as sent, its closing empty line included (`setData` rewrites it). */
  text: string;

  /** An event from its text, as `Sse.events` cuts it. */
  constructor(text: string) {
    this.text = text;
  }

  /** The values of the event's `data` fields joined by "\n" (one space after the colon dropped); null when it has none. */
  get data(): string | null {
    const lines = splitLines(this.text);
    const values = new Array<string>();
    for (let i = 0; i < lines.length; i += 2) {
      const value = dataValue(lines[i]);
      if (value !== null) values.push(value);
    }
    return values.length == 0 ? null : values.join("\n");
  }

  /** Replaces the event's data: one `data: ` line per line of `data` where the first data line was; other lines stay. */
  setData(data: string): void {
    const lines = splitLines(this.text);
    const out = new Array<string>();
    let written = false;
    for (let i = 0; i < lines.length; i += 2) {
      if (dataValue(lines[i]) === null) {
        out.push(lines[i]);
        out.push(lines[i + 1]);
      } else if (!written) {
        written = true;
        const end = lines[i + 1].length > 0 ? lines[i + 1] : "\n";
        const parts = data.split("\n");
        for (let p = 0; p < parts.length; p++) out.push("data: " + parts[p] + end);
      }
    }
    this.text = out.join("");
  }
}

/** Splitting and joining event-stream bodies. */
export class Sse {
  /** The events of `text`, split after each empty line (LF, CRLF or CR line ends); the last one may lack it. */
  static events(text: string): Array<SseEvent> {
    const lines = splitLines(text);
    const events = new Array<SseEvent>();
    let start = 0;
    let at = 0;
    for (let i = 0; i < lines.length; i += 2) {
      at += lines[i].length + lines[i + 1].length;
      if (lines[i].length > 0 || lines[i + 1].length == 0) continue;
      events.push(new SseEvent(text.substring(start, at)));
      start = at;
    }
    if (start < text.length) events.push(new SseEvent(text.substring(start)));
    return events;
  }

  /** The body of `events`, their texts in order. */
  static join(events: Array<SseEvent>): string {
    const texts = new Array<string>(events.length);
    for (let i = 0; i < events.length; i++) texts[i] = events[i].text;
    return texts.join("");
  }
}

/** Alternating line content and its line end ("" for a last line without one). */
function splitLines(text: string): Array<string> {
  const parts = new Array<string>();
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c != CR && c != LF) {
      i++;
      continue;
    }
    parts.push(text.substring(start, i));
    const width = c == CR && i + 1 < n && text.charCodeAt(i + 1) == LF ? 2 : 1;
    parts.push(text.substr(i, width));
    i += width;
    start = i;
  }
  if (start < n) {
    parts.push(text.substring(start));
    parts.push("");
  }
  return parts;
}

/** The value of a `data` field line, or null for another line (`database: x` is another field). */
function dataValue(line: string): string | null {
  if (!line.startsWith("data")) return null;
  if (line.length == 4) return "";
  if (line.charCodeAt(4) != 58) return null;
  return line.length > 5 && line.charCodeAt(5) == 32 ? line.substring(6) : line.substring(5);
}
