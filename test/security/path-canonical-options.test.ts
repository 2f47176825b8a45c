import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { stopAll } from "../support/servers.js";
import { rawExchange, rawGet, statusOf } from "./raw-http.js";

/**
 * The listener's `paths` settings (docs/configuration.md, "Paths"): what each choice does to the
 * path the echo backend reports, which is also the path routing and policies saw.
 */
let gateway: TestGateway;

beforeAll(async () => {
  const listener = (name: string, paths: string) => `
  - name: ${name}
    host: 127.0.0.1
    port: 0
    paths: ${paths}
    routes: [ { name: echo, backend: { echo: true } } ]`;
  gateway = await startTestGateway(`
listeners:${listener("keep", "{ mergeSlashes: false, encodedSlashes: keep, backslashes: slash }")}${listener("decode", "{ encodedSlashes: decode }")}
`);
});

afterAll(stopAll);

async function echoedPath(listener: string, target: string): Promise<string | number> {
  const raw = await rawExchange(gateway.listeners.find((l) => l.name === listener)!.port, rawGet(target));
  if (statusOf(raw) !== 200) return statusOf(raw);
  return (JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as { path: string }).path;
}

describe("paths settings", () => {
  it.each([
    ["keep", "/a//b", "/a//b"],
    ["keep", "/a/..%2fb", "/a/..%2Fb"],
    ["keep", "/a%5Cb", "/a%5Cb"],
    ["keep", "/a\\..\\b", "/b"],
    ["decode", "/a/..%2fb", "/b"],
    ["decode", "/a/%5c../b", "/b"], // merged first: /a/../b
    ["decode", "/a//b", "/a/b"],
    ["decode", "/a\\b", 400],
  ])("on %s, %s is %s", async (listener, target, expected) => {
    expect(await echoedPath(listener, target)).toBe(expected);
  });
});
