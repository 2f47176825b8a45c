import pino from "pino";
import { describe, expect, it } from "vitest";
import { createCapabilities } from "../../host/src/capabilities/index.js";
import { MAX_RANDOM_BYTES } from "../../host/src/capabilities/clock-random.js";
import { createLog } from "../../host/src/capabilities/log/log-capability.js";
import { setFlowScope } from "../../host/src/capabilities/flow-scope.js";

const context = { policyName: "p", baseDir: process.cwd(), logger: pino({ level: "silent" }) };

describe("createCapabilities", () => {
  it("builds exactly the granted capabilities", () => {
    const granted = createCapabilities({ crypto: true, clock: true, random: true, expression: true, "json-schema": true }, context);
    expect(Object.keys(granted).sort()).toEqual(["clock", "crypto", "expression", "jsonSchema", "random"]);
    expect(createCapabilities({}, context)).toEqual({});
    expect(Object.keys(createCapabilities({ log: false, crypto: true }, context))).toEqual(["crypto"]);
  });

  it("refuses bridged capabilities in the main thread with a coded error", () => {
    expect(() => createCapabilities({ counters: true }, context)).toThrow(expect.objectContaining({ code: "PCS_ERR_BRIDGE_UNAVAILABLE" }));
  });

  it("refuses http and files grants without an allow-list", () => {
    const configError = expect.objectContaining({ code: "PCS_ERR_CAPABILITY_CONFIG" });
    expect(() => createCapabilities({ files: {} as never }, context)).toThrow(configError);
    expect(() => createCapabilities({ http: { allow: "127.0.0.1" } as never }, context)).toThrow(configError);
  });

  it("gives clock and capped random values", () => {
    const { clock, random } = createCapabilities({ clock: true, random: true }, context);
    const before = BigInt(Date.now());
    expect(clock!.nowMs()).toBeGreaterThanOrEqual(before);
    const first = clock!.monotonicNs();
    expect(clock!.monotonicNs()).toBeGreaterThanOrEqual(first);
    expect(random!.bytes(32)).toHaveLength(32);
    expect(random!.bytes(1e6)).toHaveLength(MAX_RANDOM_BYTES);
    expect(Buffer.from(random!.bytes(32)).equals(Buffer.from(random!.bytes(32)))).toBe(false);
  });
});

describe("log capability", () => {
  it("writes pino lines with the policy name, request id and fields, dropping levels below the logger's", () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const log = createLog(logger, "basic-auth");
    setFlowScope({ requestId: "req-7" });
    log.write("debug", "hidden", []);
    log.write("warn", "bad password", [
      { name: "user", value: "alice" },
      { name: "level", value: "spoof" },
    ]);
    setFlowScope(undefined);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: "bad password",
      policy: "basic-auth",
      requestId: "req-7",
      fields: { user: "alice", level: "spoof" },
    });
  });
});
