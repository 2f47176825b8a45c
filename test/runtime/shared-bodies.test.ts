import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { joinBody, SHARED_BODY_BYTES } from "../../host/src/runtime/read-body-if-fits.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, startUpstream, stopAll, type Upstream } from "../support/servers.js";
import { plugin } from "./support/policies.js";

afterAll(stopAll);

/** Letters and digits only, so upper-casing is a byte-for-byte check. */
const text = (bytes: number): string =>
  randomBytes(bytes)
    .toString("base64")
    .replace(/[^a-z0-9]/gi, "q")
    .slice(0, bytes);

describe("request and response bodies gathered in shared memory", () => {
  it("joins chunks into one buffer, in shared memory from the threshold on", () => {
    const chunks = [Buffer.from("ab"), Buffer.from("cd"), Buffer.alloc(SHARED_BODY_BYTES, 0x65)];
    const joined = joinBody(chunks, 4 + SHARED_BODY_BYTES);
    expect(joined.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(joined.subarray(0, 5).toString()).toBe("abcde");
    expect(joined.byteLength).toBe(4 + SHARED_BODY_BYTES);
    const small = joinBody([Buffer.from("ab"), Buffer.from("cd")], 4);
    expect(small.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(small.toString()).toBe("abcd");
  });

  describe.each(["direct", "piscina"])("%s channel, through HTTP", (channel) => {
    let gateway: TestGateway;
    let upstream: Upstream;
    let received: Buffer[] = [];
    const big = text(64 * 1024);

    it("starts", async () => {
      upstream = await startUpstream((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          received.push(Buffer.concat(chunks));
          res.setHeader("content-type", "text/plain");
          res.end(req.url === "/answer/big" ? big : "ok");
        });
      });
      // shout upper-cases request and response bodies; `when:` lets a request through unchanged (its body still buffered).
      gateway = await startTestGateway(`
plugins:
${plugin("shout")}
runtime: { channel: ${channel}, workers: 1 }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: echo
        match: { path: { prefix: /echo } }
        policies: { request: [ { plugin: shout } ] }
        backend: { echo: true }
      - name: upstream
        match: { path: { prefix: / } }
        policies:
          request: [ { plugin: shout, when: '!("x-keep" in request.headers)' } ]
          response: [ { plugin: shout } ]
        backend: { url: ${upstream.url} }
`);
    });

    it("a changed 64 KiB request body reaches the upstream whole", async () => {
      received = [];
      const answer = await rawRequest(gateway.url("/up"), { method: "POST", body: big });
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toBe("OK");
      expect(received[0]!.toString()).toBe(big.toUpperCase());
    });

    it("an unchanged 64 KiB request body, buffered for a policy that did not run, is forwarded byte for byte", async () => {
      received = [];
      const answer = await rawRequest(gateway.url("/up"), { method: "POST", body: big, headers: { "x-keep": "1" } });
      expect(answer.status).toBe(200);
      expect(received[0]!.equals(Buffer.from(big))).toBe(true);
    });

    it("a 64 KiB upstream answer is changed by a response policy", async () => {
      const answer = await rawRequest(gateway.url("/answer/big"), { headers: { "x-keep": "1" } });
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toBe(big.toUpperCase());
      expect(answer.headers["content-length"]).toBe(String(big.length));
    });

    it("the echo backend reads a 64 KiB body the request chain changed", async () => {
      const answer = await rawRequest(gateway.url("/echo"), { method: "POST", body: big });
      expect(answer.status).toBe(200);
      expect(answer.json<{ body: string }>().body).toBe(big.toUpperCase());
    });
  });
});
