import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, tempFile, type RunningCli } from "../support/cli.js";
import { startUpstream, stopAll } from "../support/servers.js";
import { rawExchange, rawGet, statusOf } from "./raw-http.js";
import { securityPolicyPath } from "./fixture-path.js";

const WASM = securityPolicyPath("bad-output");
const KINDS = ["crlf", "nul", "wide", "name", "length", "chunked", "connection", "status", "informational"];

/** Strict enough for these answers: status line, header syntax, exactly one framing, body length. */
export function checkWellFormed(raw: string): { status: number; headers: Map<string, string>; body: string } {
  const end = raw.indexOf("\r\n\r\n");
  expect(end, raw).toBeGreaterThan(0);
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const status = /^HTTP\/1\.1 ([1-5]\d\d) [\x20-\x7e]*$/.exec(statusLine!);
  expect(status, raw).not.toBeNull();
  const headers = new Map<string, string>();
  for (const line of lines) {
    expect(line, raw).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+: [\t\x20-\x7e\x80-\xff]*$/);
    const name = line.slice(0, line.indexOf(":")).toLowerCase();
    expect(headers.has(name) && (name === "content-length" || name === "transfer-encoding"), raw).toBe(false);
    headers.set(name, line.slice(line.indexOf(":") + 2));
  }
  expect(headers.has("content-length") !== headers.has("transfer-encoding"), raw).toBe(true);
  const body = raw.slice(end + 4);
  if (headers.has("content-length")) expect(body.length, raw).toBe(Number(headers.get("content-length")));
  return { status: Number(status![1]), headers, body };
}

describe("a policy's invalid output (real child process, raw sockets)", () => {
  let cli: RunningCli;
  let port: number;
  const upstreamHeads: string[][] = [];

  beforeAll(async () => {
    const upstream = await startUpstream((req, res) => {
      upstreamHeads.push(req.rawHeaders);
      res.setHeader("x-bad", String(req.headers["x-bad"] ?? ""));
      res.end("from upstream");
    });
    cli = startCli(
      tempFile(
        "gateway.yaml",
        `
plugins:
  bad: { path: "${WASM}" }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: all
        policies: { request: [{ plugin: bad }], response: [{ plugin: bad }], fault: [{ plugin: bad }] }
        backend: { url: "${upstream.url}" }
admin: { port: 0 }
logging: { format: json }
`,
      ),
    );
    port = Number(new URL(String((await cli.waitForLine((l) => l.listener === "main")).url)).port);
  }, 30_000);
  afterAll(stopAll);

  for (const where of ["request", "respond", "response"]) {
    it(`${where} flow: every invalid edit fails that request with PCS_ERR_POLICY_INVALID_OUTPUT, never the process`, async () => {
      for (const what of KINDS) {
        if (where === "request" && (what === "status" || what === "informational")) continue; // no status upstream
        const raw = await rawExchange(port, rawGet(`/${where}/${what}`, `x-bad: ${where}-${what}\r\n`));
        const answer = checkWellFormed(raw);
        expect(answer.status, raw).toBe(500);
        expect(answer.body, raw).toContain("PCS_ERR_POLICY_INVALID_OUTPUT");
        expect(raw).not.toMatch(/x-injected/i);
      }
      expect(cli.child.exitCode).toBeNull();
      const logged = cli.lines.filter((l) => l.error === "PCS_ERR_POLICY_INVALID_OUTPUT");
      expect(logged.length).toBeGreaterThan(0);
      for (const line of logged) expect(String(line.detail)).toMatch(/^policy bad returned invalid output/);
    }, 30_000);
  }

  it("request edits with CR/LF or NUL never reach the upstream", async () => {
    for (const head of upstreamHeads) for (const part of head) expect(part).not.toMatch(/[\r\n\0]|x-injected/i);
  });

  it("fault flow: invalid output falls back to the error it was shaping, well-formed", async () => {
    for (const what of KINDS) {
      const raw = await rawExchange(port, rawGet(`/fault/${what}`, `x-bad: fault-${what}\r\n`));
      const answer = checkWellFormed(raw);
      expect(answer.status, raw).toBe(403);
      expect(answer.body, raw).toBe("refused");
    }
    expect(cli.child.exitCode).toBeNull();
    expect(statusOf(await rawExchange(port, rawGet("/still-serving")))).toBe(200);
  }, 30_000);
});
