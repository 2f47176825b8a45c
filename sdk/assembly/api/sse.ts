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
    const text = this.text;
    let first: string | null = null;
    let more: Array<string> | null = null;
    for (let i = 0; i < text.length; ) {
      let end = i;
      while (end < text.length && lineEndWidth(text, end) == 0) end++;
      const value = dataValue(text, i, end);
      if (value !== null) {
        if (first === null) first = value;
        else if (more === null) more = [first!, value];
        else more.push(value);
      }
      i = end + lineEndWidth(text, end);
      if (end == text.length) break;
    }
    return more !== null ? more.join("\n") : first;
  }

  /** Replaces the event's data: one `data: ` line per line of `data` where the first data line was; other lines stay. */
  setData(data: string): void {
    const lines = splitLines(this.text);
    const out = new Array<string>();
    let written = false;
    for (let i = 0; i < lines.length; i += 2) {
      if (dataValue(lines[i], 0, lines[i].length) === null) {
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
    const events = new Array<SseEvent>();
    let start = 0;
    let lineStart = 0;
    for (let i = 0; i < text.length; ) {
      const width = lineEndWidth(text, i);
      if (width == 0) {
        i++;
        continue;
      }
      const empty = i == lineStart;
      i += width;
      lineStart = i;
      if (!empty) continue;
      events.push(new SseEvent(text.substring(start, i)));
      start = i;
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
  for (let i = 0; i < text.length; ) {
    const width = lineEndWidth(text, i);
    if (width == 0) {
      i++;
      continue;
    }
    parts.push(text.substring(start, i));
    parts.push(width == 2 ? "\r\n" : text.charCodeAt(i) == CR ? "\r" : "\n");
    i += width;
    start = i;
  }
  if (start < text.length) {
    parts.push(text.substring(start));
    parts.push("");
  }
  return parts;
}

/** 2 for CRLF at `i`, 1 for a lone CR or LF, 0 for another character. */
function lineEndWidth(text: string, i: i32): i32 {
  const c = text.charCodeAt(i);
  if (c == LF) return 1;
  if (c != CR) return 0;
  return i + 1 < text.length && text.charCodeAt(i + 1) == LF ? 2 : 1;
}

/** The value of the `data` field line text[start, end), or null for another line (`database: x` is another field). */
function dataValue(text: string, start: i32, end: i32): string | null {
  if (end - start < 4 || text.charCodeAt(start) != 0x64 || text.substr(start, 4) != "data") return null;
  if (end - start == 4) return "";
  if (text.charCodeAt(start + 4) != 58) return null;
  const from = start + 5 < end && text.charCodeAt(start + 5) == 32 ? start + 6 : start + 5;
  return text.substring(from, end);
}
