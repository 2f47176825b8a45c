import { writeSync } from "node:fs";

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LineLevel = keyof typeof LEVELS;
type LogMethod = (fields: object, message: string) => void;

/** What the `log` capability and a policy worker need of a logger: pino's Logger and JsonLineLogger both fit. */
export type LineLogger = { [level in LineLevel]: LogMethod } & {
  child(bindings: Record<string, unknown>): LineLogger;
  isLevelEnabled(level: string): boolean;
};

/** pino writes strings with JSON.stringify from Node 25 on; before, with its own quoting (below). */
const STRINGIFY_QUOTES = Number(process.versions.node.split(".")[0]) >= 25;
/** For waits on a blocked stdout. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Policies' log lines in a policy worker, written synchronously to a file descriptor in exactly
 * pino's default format (`{"level":30,"time":...,<child bindings>,<fields>,"msg":"..."}`), for the
 * calls the worker makes (fields object, message). pino itself costs a worker about 30 ms of CPU
 * to load; this is one small module. test/startup/json-line-logger.test.ts compares both byte by byte.
 */
export class JsonLineLogger implements LineLogger {
  readonly #threshold: number;

  constructor(
    readonly level: LineLevel | "silent",
    private readonly fd = 1,
    /** The child bindings, already written as `,"key":value` pairs. */
    private readonly bindings = "",
  ) {
    this.#threshold = level === "silent" ? Number.POSITIVE_INFINITY : LEVELS[level];
  }

  child(bindings: Record<string, unknown>): JsonLineLogger {
    let text = this.bindings;
    for (const [key, value] of Object.entries(bindings)) {
      // pino writes binding keys as they are and their values with JSON.stringify.
      if (value !== undefined) text += `,"${key}":${JSON.stringify(value)}`;
    }
    return new JsonLineLogger(this.level, this.fd, text);
  }

  isLevelEnabled(level: string): boolean {
    const value = LEVELS[level as LineLevel] as number | undefined;
    return value !== undefined && value >= this.#threshold;
  }

  trace: LogMethod = (fields, message) => this.#write(LEVELS.trace, fields, message);
  debug: LogMethod = (fields, message) => this.#write(LEVELS.debug, fields, message);
  info: LogMethod = (fields, message) => this.#write(LEVELS.info, fields, message);
  warn: LogMethod = (fields, message) => this.#write(LEVELS.warn, fields, message);
  error: LogMethod = (fields, message) => this.#write(LEVELS.error, fields, message);
  fatal: LogMethod = (fields, message) => this.#write(LEVELS.fatal, fields, message);

  #write(level: number, fields: object, message: string): void {
    if (level < this.#threshold) return;
    let line = `{"level":${level},"time":${Date.now()}${this.bindings}`;
    for (const [key, value] of Object.entries(fields)) {
      const text = valueText(value);
      if (text !== undefined) line += `,${quote(key)}:${text}`;
    }
    writeAll(this.fd, Buffer.from(`${line},"msg":${quote(message)}}\n`));
  }
}

/** A field's value as pino writes it, or undefined for one it leaves out. */
function valueText(value: unknown): string | undefined {
  switch (typeof value) {
    case "undefined":
    case "function":
      return undefined;
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return String(value);
    case "string":
      return quote(value);
    default:
      try {
        return JSON.stringify(value);
      } catch {
        return '"[unable to serialize]"';
      }
  }
}

/**
 * A string as pino quotes it: with a control character, or past 100 characters, JSON.stringify;
 * otherwise only `"` and `\` are escaped (other characters, lone surrogates included, stay as they are).
 */
function quote(text: string): string {
  if (STRINGIFY_QUOTES || text.length > 100) return JSON.stringify(text);
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 32) return JSON.stringify(text);
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

/** Writes all of `bytes`, waiting while the descriptor is busy (a full pipe); a line it cannot write is dropped. */
function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EAGAIN" && code !== "EBUSY") return;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}
