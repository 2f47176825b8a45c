import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { JsonLineLogger, type LineLevel, type LineLogger } from "../../host/src/capabilities/log/json-line-logger.js";
import { createLog } from "../../host/src/capabilities/log/log-capability.js";
import { setFlowScope } from "../../host/src/capabilities/flow-scope.js";

const dir = mkdtempSync(join(tmpdir(), "portcullis-line-logger-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Strings pino quotes in its different ways: plain, escaped, controls, past 100 characters, odd UTF-16. */
const ODD = [
  "plain",
  'say "hi" \\ there',
  "tab\there\nnew line\u0000nul",
  `${'"'.repeat(60)}${"\\".repeat(41)}`,
  "x".repeat(100),
  `${"y".repeat(101)}"`,
  "caf\u00e9 \u{1f600} \u2028 \u007f",
  "lone \ud800 surrogate \udfff",
  "",
];

/** The same calls against `logger` writing to the file `fd`; its lines with the time left out. */
function lines(file: string, make: (fd: number) => LineLogger): string[] {
  const fd = openSync(join(dir, file), "w");
  const logger = make(fd);
  const levels: LineLevel[] = ["trace", "debug", "info", "warn", "error", "fatal"];
  for (const text of ODD) {
    logger.error({ code: "PCS_ERR_X", policy: text, plugin: "p" }, text);
    const child = logger.child({ policy: text, absent: undefined });
    for (const name of levels) child[name]({ requestId: undefined, fields: { [text]: text, n: "1" } }, `${name} ${text}`);
    child.info({ [text]: 1, nan: Number.NaN, yes: true, list: [text, 2], fn: () => 1, nested: { a: { b: text } } }, text);
  }
  // Through the log capability, as a policy writes.
  setFlowScope({ requestId: "req-1" });
  const log = createLog(logger, "basic-auth");
  log.write("warn", "from a policy", [{ name: "user", value: 'a "b"' }]);
  log.write("debug", "maybe dropped", []);
  setFlowScope(undefined);
  closeSync(fd);
  const enabled = levels.map((name) => `${name}:${logger.isLevelEnabled(name)}`).join(" ");
  const text = readFileSync(join(dir, file), "utf8");
  return [enabled, ...text.split("\n").map((line) => line.replace(/,"time":\d+,/, ',"time":T,'))];
}

describe("the policy workers' line logger", () => {
  for (const level of ["info", "trace", "error", "silent"] as const) {
    it(`writes what pino writes, byte for byte but the time, at level ${level}`, () => {
      const expected = lines(`pino-${level}`, (fd) => pino({ base: undefined, level }, pino.destination({ dest: fd, sync: true })));
      const actual = lines(`ours-${level}`, (fd) => new JsonLineLogger(level, fd));
      expect(actual.length).toBe(expected.length);
      expect(actual).toEqual(expected);
      if (level !== "silent") expect(expected.length).toBeGreaterThan(ODD.length * 2);
    });
  }

  it("writes the time as pino does, in milliseconds since the epoch", () => {
    const before = Date.now();
    const fd = openSync(join(dir, "time-raw"), "w");
    new JsonLineLogger("info", fd).info({}, "now");
    closeSync(fd);
    const written = JSON.parse(readFileSync(join(dir, "time-raw"), "utf8")) as { time: number; level: number; msg: string };
    expect(written).toEqual({ level: 30, time: written.time, msg: "now" });
    expect(written.time).toBeGreaterThanOrEqual(before);
    expect(written.time).toBeLessThanOrEqual(Date.now());
  });
});
