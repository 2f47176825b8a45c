import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { startUpstream, stopAll } from "../support/servers.js";
import { securityPolicyPath } from "./fixture-path.js";
import { rawExchange, rawGet } from "./raw-http.js";

afterEach(stopAll);

type Outcome = { seed: number; status: number } | { seed: number; error: string };

/**
 * One request with its seed, on a fresh connection; resolves with the parsed status, or with why
 * no well-formed response came (a parse error, a reset, or nothing within `timeoutMs`).
 */
function probe(port: number, path: string, seed: number, timeoutMs = 3_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { "x-seed": String(seed) }, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ seed, status: res.statusCode ?? 0 }));
      res.on("error", (error) => resolve({ seed, error: `body: ${error.message}` }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ seed, error: `${error.code ?? ""} ${error.message}` }));
    req.end();
  });
}

/** What is wrong with the framing or bytes of one raw HTTP/1.1 response, if anything. */
function framingProblem(raw: string): string | undefined {
  const end = raw.indexOf("\r\n\r\n");
  if (!/^HTTP\/1\.1 [1-5]\d\d /.test(raw) || end < 0) return `no response head: ${JSON.stringify(raw.slice(0, 80))}`;
  const lines = raw.slice(0, end).split("\r\n").slice(1);
  const names = lines.map((line) => line.slice(0, line.indexOf(":")).toLowerCase());
  if (lines.some((line) => /[\x00-\x08\x0a-\x1f\x7f]/.test(line) || !/^[!#$%&'*+.^_`|~0-9a-z-]+:/i.test(line))) return "bad header line";
  const lengths = names.filter((n) => n === "content-length").length;
  if (lengths > 1) return "several content-length";
  if (lengths === 1 && names.includes("transfer-encoding")) return "content-length and transfer-encoding";
  return undefined;
}

describe("a policy returning random output on every flow", () => {
  it("never ends the process, and every request gets a well-formed HTTP answer", async () => {
    // The upstream returns the seed, so the response flow draws its own edits; /fail has no upstream.
    const upstream = await startUpstream((req, res) => {
      if (req.headers["x-seed"]) res.setHeader("x-seed", req.headers["x-seed"]);
      res.end("upstream body");
    });
    const gateway = await startTestGateway(`
plugins:
  random:
    path: ${securityPolicyPath("random-output")}
runtime: { workers: 2, quarantine: { failures: 1000000 } }
${routesYaml(`
      - name: fail
        match: { path: { prefix: /fail } }
        policies: { request: [ { plugin: random } ], response: [ { plugin: random } ], fault: [ { plugin: random } ] }
        backend: { url: "http://127.0.0.1:1" }
      - name: up
        match: { path: { prefix: / } }
        policies: { request: [ { plugin: random } ], response: [ { plugin: random } ], fault: [ { plugin: random } ] }
        backend: { url: "${upstream.url}" }`)}
`);
    const port = Number(new URL(gateway.url("/")).port);
    const outcomes: Outcome[] = [];
    const deadline = Date.now() + 20_000;
    // Four clients in parallel, seeds in sequence, until 2,000 requests or the time bound.
    let next = 1;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next <= 2_000 && Date.now() < deadline) {
          const seed = next++;
          outcomes.push(await probe(port, seed % 5 === 0 ? "/fail" : "/", seed));
        }
      }),
    );

    expect(outcomes.length).toBeGreaterThan(300);
    // The random edits really reached the client side: answers of every class came back.
    const classes = new Set(outcomes.map((o) => ("status" in o ? Math.floor(o.status / 100) : 0)));
    expect([...classes].sort()).toEqual([2, 3, 4, 5]);
    const broken = outcomes.filter((o) => "error" in o);
    expect(broken.slice(0, 5)).toEqual([]);
    for (const o of outcomes) if ("status" in o) expect(o.status >= 200 && o.status <= 599, `seed ${o.seed}: ${o.status}`).toBe(true);
    // Byte level, on a sample: one framing per response, nothing but visible Latin-1 in the head.
    for (let seed = 1; seed <= 150; seed++) {
      const raw = await rawExchange(port, rawGet(seed % 5 === 0 ? "/fail" : "/", `x-seed: ${seed}\r\n`));
      expect(framingProblem(raw), `seed ${seed}`).toBeUndefined();
    }
    // The gateway is still whole: a request without a seed passes untouched.
    const plain = await new Promise<number>((resolve, reject) =>
      httpRequest(gateway.url("/"), { agent: false }, (res) => (res.resume(), resolve(res.statusCode ?? 0)))
        .on("error", reject)
        .end(),
    );
    expect(plain).toBe(200);
  });
});
