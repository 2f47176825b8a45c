import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startCli, tempFile } from "../support/cli.js";
import { rawRequest, startUpstream, stopAll } from "../support/servers.js";

afterEach(stopAll);

const plugin = (name: string) => join(process.cwd(), `plugins/${name}/build/${name}.wasm`);

/** Every secret of the fixture config; none may appear, even in part, on any admin endpoint, log line or error body. */
const SECRETS = {
  hsKey: "c2VjcmV0LWhzLWtleS1mb3ItdGhlLWZpeHR1cmUtMTIzNDU2Nzg5MA",
  bcrypt: "$2y$05$Zq9eL3kXvT1mN8pQ2rS4uO0wYbVcXdEfGhIjKlMnOpQrStUvWxYz.",
  shaCrypt: "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
  apiKey: "ak_live_7f3c9e1b5a2d4f6e8c0b",
  redisPassword: "r3dis-Pa55word-fixture",
  upstreamPassword: "upstr3am-Pa55-fixture",
};

function configYaml(upstreamPort: number) {
  return `
plugins:
  jwt: { path: "${plugin("jwt")}", capabilities: { crypto: true, clock: true, kv: true, http: { allow: [] }, files: { allow: [] } } }
  basic-auth: { path: "${plugin("basic-auth")}", capabilities: { crypto: true, files: { allow: [] } } }
  api-key: { path: "${plugin("api-key")}", capabilities: { crypto: true } }
stores:
  backend: memory
  redis: { url: "redis://default:${SECRETS.redisPassword}@127.0.0.1:1/0" }
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
    routes:
      - name: jwt
        match: { path: { prefix: /jwt } }
        policies:
          request:
            - plugin: jwt
              with: { algorithms: [HS256], keys: [ { kty: oct, kid: hs, alg: HS256, k: "${SECRETS.hsKey}" } ] }
        backend: { url: "http://gw:${SECRETS.upstreamPassword}@127.0.0.1:${upstreamPort}" }
      - name: basic
        match: { path: { prefix: /basic } }
        policies:
          request:
            - plugin: basic-auth
              with:
                realm: staff
                users:
                  - { username: alice, hash: "${SECRETS.bcrypt}" }
                  - { username: bob, hash: "${SECRETS.shaCrypt}" }
        backend: { url: "http://127.0.0.1:${upstreamPort}" }
      - name: keyed
        match: { path: { prefix: /keyed } }
        policies:
          request:
            - plugin: api-key
              with: { in: header, name: x-api-key, keys: [ { consumer: carol, key: "${SECRETS.apiKey}" } ] }
        backend: { url: "http://127.0.0.1:${upstreamPort}" }
admin: { port: 0 }
logging: { format: json, level: debug }
`;
}

/** The secret and its first 6 characters past any well-known prefix ($2y$05$, $6$salt...). */
function fragments(secret: string): string[] {
  const body = secret.replace(/^\$[0-9a-z]+\$(?:\d+\$)?/, "");
  return [secret, body.slice(0, 6), body.slice(-6)];
}

describe("secret redaction (real child process, debug logs)", () => {
  it("no admin endpoint, log line or error body shows any secret of the config", async () => {
    const upstream = await startUpstream((_req, res) => res.end("ok"));
    const cli = startCli(tempFile("gateway.yaml", configYaml(Number(new URL(upstream.url).port))));
    const failed = cli.exited.then((code) => Promise.reject(new Error(`the gateway exited (${code}) before listening`)));
    const url = String((await Promise.race([cli.waitForLine((l) => l.listener === "main"), failed])).url);
    const admin = String((await cli.waitForLine((l) => typeof l.msg === "string" && l.msg.startsWith("admin on"))).url);

    const seen: string[] = [];
    const bodyOf = async (target: string, headers: Record<string, string> = {}) => {
      const res = await rawRequest(target, { headers });
      seen.push(`${target} ${res.status} ${res.body.toString()}`);
      return res.status;
    };
    // Failing requests (no/forged credentials, a wrong key) and passing ones.
    expect(await bodyOf(`${url}/jwt/a`, { authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA" })).toBe(401);
    expect(await bodyOf(`${url}/basic/a`, { authorization: `Basic ${Buffer.from("alice:wrong").toString("base64")}` })).toBe(401);
    expect(await bodyOf(`${url}/keyed/a`, { "x-api-key": "wrong" })).toBe(401);
    expect(await bodyOf(`${url}/keyed/a`, { "x-api-key": SECRETS.apiKey })).toBe(200);
    for (const path of ["/healthz", "/readyz", "/config", "/plugins", "/metrics"]) await bodyOf(`${admin}${path}`);
    expect(seen.find((s) => s.includes("/config 200"))).toContain("basic-auth");

    const everything = [...seen, ...cli.lines.map((l) => JSON.stringify(l))].join("\n");
    for (const secret of Object.values(SECRETS)) {
      for (const fragment of fragments(secret)) expect(everything, `${secret} (${fragment})`).not.toContain(fragment);
    }
  });
});
