import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../../../test/support/gateway.js";
import { readmeExample } from "../../../test/support/plugin-examples.js";
import { rawRequest, startUpstream, stopAll } from "../../../test/support/servers.js";

afterEach(stopAll);

const dataMaskPath = fileURLToPath(new URL("../build/data-mask.wasm", import.meta.url));

const accounts = JSON.stringify({
  accounts: [
    { number: "9876543210001234", iban: "DE89370400440532013000", balance: 10 },
    { number: "5555000011112222", iban: "GB29NWBK60161331926819", balance: 20 },
  ],
  memo: "card 4111 1111 1111 1111",
});

/** A bank: answers its accounts, gzip-compressed whenever the request accepts gzip. */
async function bankUpstream(body = accounts, contentType = "application/json") {
  const acceptEncodings: Array<string | undefined> = [];
  const upstream = await startUpstream((req, res) => {
    acceptEncodings.push(req.headers["accept-encoding"]);
    res.setHeader("content-type", contentType);
    if (/gzip/.test(req.headers["accept-encoding"] ?? "")) {
      res.setHeader("content-encoding", "gzip");
      res.end(gzipSync(body));
    } else {
      res.end(body);
    }
  });
  return Object.assign(upstream, { acceptEncodings });
}

describe("data-mask (gateway)", () => {
  it("runs the README example: the client sees only the last four digits of each account", async () => {
    const bank = await bankUpstream();
    const gateway = await startTestGateway(readmeExample("data-mask", bank.url));
    const response = await rawRequest(gateway.url("/accounts"), { headers: { "accept-encoding": "gzip, deflate" } });
    expect(response.status, response.body.toString()).toBe(200);
    expect(bank.acceptEncodings).toEqual(["identity"]);
    const body = response.body.toString();
    expect(response.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(response.headers["content-encoding"]).toBeUndefined();
    expect(JSON.parse(body)).toEqual({
      accounts: [
        { number: "************1234", iban: "DE****************3000", balance: 10 },
        { number: "************2222", iban: "GB****************6819", balance: 20 },
      ],
      memo: "card **** **** **** 1111",
    });
    expect(body).not.toContain("9876543210001234");
  });

  it("masks operator regex patterns in a text body through the host's regex capability", async () => {
    const bank = await bankUpstream("ssn 123-45-6789 and card 4111 1111 1111 1111", "text/plain; charset=utf-8");
    const gateway = await startTestGateway(`plugins:
  data-mask: { path: ${dataMaskPath}, capabilities: { regex: true } }
${routesYaml(`
      - name: api
        policies:
          request: [ { plugin: data-mask, with: &m { rules: [ { pattern: { regex: '\\d{3}-\\d{2}-(\\d{4})', group: 1 } } ] } } ]
          response: [ { plugin: data-mask, with: *m } ]
        backend: { url: "${bank.url}" }`)}`);
    const response = await rawRequest(gateway.url("/x"));
    expect(response.status, response.body.toString()).toBe(200);
    expect(response.body.toString()).toBe("ssn 123-45-**** and card 4111 1111 1111 1111");
  });

  it("fails closed (502) when only the response flow runs and the upstream compresses", async () => {
    const bank = await bankUpstream();
    const gateway = await startTestGateway(`plugins:
  data-mask: { path: ${dataMaskPath}, capabilities: { regex: true } }
${routesYaml(`
      - name: accounts
        policies:
          response: [ { plugin: data-mask, with: { rules: [ { field: number, keepLast: 4 } ] } } ]
        backend: { url: "${bank.url}" }`)}`);
    const response = await rawRequest(gateway.url("/"), { headers: { "accept-encoding": "gzip" } });
    expect(response.status).toBe(502);
    expect(response.json()).toEqual({ code: "DATA_MASK_BODY_ENCODED" });
    const plain = await rawRequest(gateway.url("/"));
    expect(JSON.parse(plain.body.toString()).accounts[0].number).toBe("************1234");
  });

  it("leaves non-JSON responses untouched unless a pattern applies to text", async () => {
    const html = "<p>account 9876543210001234</p>";
    const bank = await bankUpstream(html, "text/html; charset=utf-8");
    const gateway = await startTestGateway(`plugins:
  data-mask: { path: ${dataMaskPath}, capabilities: { regex: true } }
${routesYaml(`
      - name: fields
        match: { path: { prefix: /fields } }
        policies:
          response: [ { plugin: data-mask, with: { rules: [ { field: number } ] } } ]
        backend: { url: "${bank.url}" }
      - name: patterns
        policies:
          response: [ { plugin: data-mask, with: { keepLast: 4, rules: [ { pattern: digits } ] } } ]
        backend: { url: "${bank.url}" }`)}`);
    expect((await rawRequest(gateway.url("/fields"))).body.toString()).toBe(html);
    expect((await rawRequest(gateway.url("/text"))).body.toString()).toBe("<p>account ************1234</p>");
  });
});
