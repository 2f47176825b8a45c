import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../host/src/index.js";

function issuesOf(yaml: string): Array<{ line: number; message: string }> {
  try {
    parseConfigText(yaml, { source: "bad.yaml", env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues as Array<{ line: number; message: string }>;
  }
  throw new Error("expected the config to be rejected");
}

const header = `listeners:
  - name: main
    port: 1
    routes:
`;

describe("resilience settings the schema cannot check", () => {
  it("names the line of each bad setting, and starts nothing", () => {
    const yaml = `${header}      - name: hash
        match: { path: { prefix: /a } }
        backend:
          url: http://127.0.0.1:1
          loadBalancing: { policy: consistent-hash }
      - name: cel
        match: { path: { prefix: /b } }
        backend:
          url: http://127.0.0.1:1
          loadBalancing: { policy: consistent-hash, hashKey: "request.headers[" }
      - name: fallback
        match: { path: { prefix: /c } }
        backend:
          url: http://127.0.0.1:1
          fallback: { directResponse: { status: 503 }, backend: { url: http://127.0.0.1:2 } }
      - name: split
        match: { path: { prefix: /d } }
        backend:
          split: [ { weight: 1, backend: { url: http://127.0.0.1:1, echo: true } } ]
      - name: backoff
        match: { path: { prefix: /e } }
        backend:
          url: http://127.0.0.1:1
          retries: { backoff: { baseMs: 500, maxMs: 100 } }
      - name: mirror
        match: { path: { prefix: /f } }
        backend:
          url: http://127.0.0.1:1
          mirror: { backend: { echo: true } }
`;
    const issues = issuesOf(yaml);
    expect(issues.map((i) => [i.line, i.message.split(":")[0]])).toEqual([
      [9, "consistent-hash needs a hashKey (a CEL expression)"],
      [14, "invalid CEL"],
      [19, "expected exactly one of directResponse or backend"],
      [23, "expected exactly one of url, targets, echo or directResponse"],
      [28, "must not be larger than maxMs"],
      [33, "expected url or targets"],
    ]);
  });

  it("refuses unknown keys and out-of-range values in the resilience blocks", () => {
    const yaml = `${header}      - name: r
        backend:
          url: http://127.0.0.1:1
          retries: { attemps: 3 }
          outlierDetection: { maxEjectedShare: 2 }
`;
    const issues = issuesOf(yaml);
    expect(issues.map((i) => i.line)).toEqual([8, 9]);
    expect(issues[0]!.message).toContain('did you mean "attempts"');
  });
});
