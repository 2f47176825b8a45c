import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { chunks, eventually, load, route, startFleetmate, tally } from "./support.js";

afterEach(stopAll);

describe("traffic split", () => {
  it("splits requests between backends by weight", async () => {
    const [stable, canary] = await Promise.all([startFleetmate("stable"), startFleetmate("canary")]);
    const gateway = await startTestGateway(
      route(`
split:
  - { weight: 9, backend: { url: "${stable.url}" } }
  - { weight: 1, backend: { url: "${canary.url}" } }
`),
    );
    expect(tally(await load(gateway.url("/"), 100, 4))).toEqual({ stable: 90, canary: 10 });
  });
});

describe("mirroring", () => {
  it("copies requests to a shadow whose slow, failing answers never reach or delay the client", async () => {
    const primary = await startFleetmate("primary");
    const shadowPaths: string[] = [];
    const shadowBodies: string[] = [];
    const shadow = await startFleetmate("shadow", (req, res) => {
      shadowPaths.push(req.url ?? "");
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => shadowBodies.push(body));
      setTimeout(() => {
        res.statusCode = 500;
        res.end("shadow");
      }, 50);
    });
    const gateway = await startTestGateway(route(`url: "${primary.url}"\nmirror: { backend: { url: "${shadow.url}" } }`));
    const results = await load(gateway.url("/copy"), 20, 2);
    expect(results.every((r) => r.status === 200 && r.body === "primary")).toBe(true);
    expect(await eventually(() => shadow.hits === 20, 3_000)).toBe(true);
    expect(new Set(shadowPaths)).toEqual(new Set(["/copy"]));
    // A small declared body is read first and mirrored too; a chunked one is streamed once, to the primary only.
    expect((await rawRequest(gateway.url("/copy"), { method: "PUT", body: "data" })).status).toBe(200);
    expect(await eventually(() => shadow.hits === 21, 3_000)).toBe(true);
    expect(shadowBodies.at(-1)).toBe("data");
    expect((await rawRequest(gateway.url("/copy"), { method: "PUT", body: chunks("a", "b") })).status).toBe(200);
    expect(await eventually(() => shadow.hits > 21, 300)).toBe(false);
    expect(primary.hits).toBe(22);
  });

  it("mirrors about `share` of the requests", async () => {
    const [primary, shadow] = await Promise.all([startFleetmate("primary"), startFleetmate("shadow")]);
    const gateway = await startTestGateway(route(`url: "${primary.url}"\nmirror: { share: 0.25, backend: { url: "${shadow.url}" } }`));
    await load(gateway.url("/"), 400, 4);
    await eventually(() => false, 200);
    expect(primary.hits).toBe(400);
    expect(shadow.hits).toBeGreaterThan(60); // 100 expected; binomial sd is about 9
    expect(shadow.hits).toBeLessThan(140);
  });
});
