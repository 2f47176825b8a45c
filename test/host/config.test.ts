import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, configJsonSchema, loadConfigFile, parseConfigObject, parseConfigText } from "../../host/src/index.js";

function issuesOf(yaml: string, env: NodeJS.ProcessEnv = {}) {
  try {
    parseConfigText(yaml, { source: "bad.yaml", env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error("expected the config to be rejected");
}

const valid = `listeners:
  - name: main
    port: 8080
    routes:
      - name: echo
        match:
          path: { prefix: /echo }
        backend:
          echo: true
`;

describe("configuration errors point at the line", () => {
  it("accepts the default gateway.yaml and applies defaults", () => {
    const { config } = loadConfigFile("config/gateway.yaml", {});
    expect(config.listeners[0]).toMatchObject({ name: "main", port: 8080, host: "0.0.0.0", limits: { maxHeaderBytes: 16384 } });
    expect(config.admin).toEqual({ enabled: true, host: "127.0.0.1", port: 9901 });
    expect(config.listeners[0]!.routes[0]!.backend.timeouts).toEqual({ connectMs: 5000, headersMs: 30000, bodyMs: 30000 });
  });

  it("names an unknown key with its line, column and the closest valid key", () => {
    const issues = issuesOf(valid.replace("path: { prefix", "pth: { prefix"));
    expect(issues).toEqual([
      expect.objectContaining({
        line: 7,
        column: 11,
        path: ["listeners", 0, "routes", 0, "match", "pth"],
        message: 'unknown key "pth" (did you mean "path"?)',
      }),
    ]);
  });

  it("reports every problem at once, with what was expected", () => {
    const yaml = `listeners:
  - name: main
    port: "eighty"
    limits: { maxBodyBytes: -1 }
    routes:
      - name: r
        match: { methods: [GET, PSOT] }
        backend: { echo: true }
admin: { prot: 1 }
`;
    const issues = issuesOf(yaml);
    const byLine = Object.fromEntries(issues.map((i) => [i.line, i.message]));
    expect(byLine[3]).toMatch(/expected number, received string/);
    expect(byLine[4]).toMatch(/expected number to be >=0/);
    expect(byLine[7]).toMatch(/did you mean "POST"/);
    expect(byLine[9]).toBe('unknown key "prot" (did you mean "port"?)');
  });

  it("names a missing required key at its parent's line", () => {
    const issues = issuesOf(valid.replace("    port: 8080\n", ""));
    expect(issues[0]).toMatchObject({ line: 2, message: 'missing required key "port" (expected number)' });
  });

  it("checks rules beyond the schema: one backend kind, valid regex, unique names", () => {
    const yaml = `listeners:
  - name: main
    port: 1
    routes:
      - name: r
        match: { path: { regex: "(" } }
        backend: { echo: true, url: "http://x" }
      - name: r
        backend: { directResponse: { status: 200 } }
`;
    const issues = issuesOf(yaml);
    expect(issues.map((i) => [i.line, i.message.split(":")[0]])).toEqual([
      [6, "invalid regular expression"],
      [7, "expected exactly one of url, targets, echo or directResponse (found url, echo)"],
      [8, 'duplicate route name "r"'],
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    const issues = issuesOf("listeners:\n  - name: main\n    port: [1, 2\n");
    expect(issues[0]!.line).toBeGreaterThanOrEqual(3);
    expect(issues[0]!.message).not.toBe("");
  });

  it("formats issues as file:line:column path: message", () => {
    try {
      parseConfigText(valid.replace("echo: true", "ecko: true"), { source: "gw.yaml" });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('gw.yaml:9:11 listeners[0].routes[0].backend.ecko: unknown key "ecko" (did you mean "echo"?)');
    }
  });
});

describe("environment substitution", () => {
  const yaml = `listeners:
  - name: main
    port: \${env.PORT}
    host: \${env.HOST:-127.0.0.1}
    routes:
      - name: api
        backend: { url: "http://\${env.UPSTREAM_HOST}:9000/v1", hostRewrite: "\${env.VHOST:-}x" }
`;

  it("substitutes variables, typed when a plain value is one placeholder", () => {
    const { config } = parseConfigText(yaml, { env: { PORT: "8081", UPSTREAM_HOST: "10.0.0.5" } });
    expect(config.listeners[0]).toMatchObject({ port: 8081, host: "127.0.0.1" });
    expect(config.listeners[0]!.routes[0]!.backend).toMatchObject({ url: "http://10.0.0.5:9000/v1", hostRewrite: "x" });
  });

  it("a missing variable without a default is an error naming its line", () => {
    const issues = issuesOf(yaml, { PORT: "1" });
    expect(issues).toEqual([
      expect.objectContaining({
        line: 7,
        path: ["listeners", 0, "routes", 0, "backend", "url"],
        message: expect.stringContaining("environment variable UPSTREAM_HOST is not set"),
      }),
    ]);
  });

  it("never substitutes inside keys", () => {
    const issues = issuesOf(`\${env.X}: 1\n${valid}`, { X: "listeners" });
    expect(issues[0]!.message).toContain('unknown key "${env.X}"');
  });
});

describe("published JSON Schema", () => {
  it("config/schema.json is generated from the current schema (run: portcullis schema -o config/schema.json)", () => {
    const published = JSON.parse(readFileSync("config/schema.json", "utf8")) as unknown;
    expect(published).toEqual(configJsonSchema());
  });

  it("describes strict objects so editors flag unknown keys", () => {
    const schema = configJsonSchema() as { additionalProperties?: boolean; required?: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toContain("listeners");
  });
});

describe("startGateway() with a config object", () => {
  it("reports unknown keys with a suggestion, by path", () => {
    expect(() => parseConfigObject({ listeners: [{ name: "a", port: 0, rotues: [] }] })).toThrow(
      'listeners[0].rotues: unknown key "rotues" (did you mean "routes"?)',
    );
  });
});
