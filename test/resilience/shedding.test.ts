import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { routesYaml, startTestGateway } from "../support/gateway.js";
import { rawRequest, stopAll } from "../support/servers.js";
import { eventually, recordingFaults, route, sleep, startFleetmate } from "./support.js";

afterEach(stopAll);

/** An upstream that holds every request until release(). */
async function holdingUpstream() {
  const held: Array<() => void> = [];
  const mate = await startFleetmate("held", (_req, res) => held.push(() => res.end("released")));
  const release = () => {
    for (const go of held.splice(0)) go();
  };
  return Object.assign(mate, { held, release });
}

describe("load shedding", () => {
  it("sheds past a route's maxInFlight with 503 + Retry-After through the fault flow; other routes and health endpoints still answer", async () => {
    const upstream = await holdingUpstream();
    const flows = recordingFaults();
    const gateway = await startTestGateway(
      routesYaml(`
      - name: narrow
        match: { path: { prefix: /narrow } }
        maxInFlight: 2
        backend: { url: "${upstream.url}" }
      - name: other
        match: { path: { prefix: /other } }
        backend: { echo: true }
`),
      { flows },
    );
    const first = [rawRequest(gateway.url("/narrow")), rawRequest(gateway.url("/narrow"))];
    expect(await eventually(() => upstream.held.length === 2, 3_000)).toBe(true);
    const shed = await rawRequest(gateway.url("/narrow"));
    expect(shed.status).toBe(503);
    expect(shed.json().code).toBe("PCS_ERR_OVERLOADED");
    expect(shed.headers["retry-after"]).toBe("1");
    expect(flows.faults.map((f) => f.code)).toEqual(["PCS_ERR_OVERLOADED"]);
    expect((await rawRequest(gateway.url("/other"))).status).toBe(200);
    expect((await rawRequest(`${gateway.admin!.url.replace("0.0.0.0", "127.0.0.1")}/healthz`)).status).toBe(200);
    upstream.release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    // The slots are free again.
    const again = rawRequest(gateway.url("/narrow"));
    expect(await eventually(() => upstream.held.length === 1, 3_000)).toBe(true);
    upstream.release();
    expect((await again).status).toBe(200);
    expect(upstream.hits).toBe(3);
  });

  it("sheds past the gateway's maxInFlight on every route", async () => {
    const upstream = await holdingUpstream();
    const gateway = await startTestGateway(route(`url: "${upstream.url}"`, "loadShedding: { maxInFlight: 3 }"));
    const held = [1, 2, 3].map(() => rawRequest(gateway.url("/")));
    expect(await eventually(() => upstream.held.length === 3, 3_000)).toBe(true);
    const statuses = (await Promise.all([1, 2, 3].map(() => rawRequest(gateway.url("/"))))).map((r) => r.status);
    expect(statuses).toEqual([503, 503, 503]);
    expect((await rawRequest(`${gateway.admin!.url.replace("0.0.0.0", "127.0.0.1")}/readyz`)).status).toBe(200);
    upstream.release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(upstream.hits).toBe(3);
  });

  it("sheds requests that arrive while the event loop lags past eventLoopLagMs, and serves again once it catches up", async () => {
    const upstream = await startFleetmate("up");
    const gateway = await startTestGateway(route(`url: "${upstream.url}"`, "loadShedding: { eventLoopLagMs: 100 }"));
    const port = gateway.listeners[0]!.port;
    const socket = connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const answer = new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes("\r\n\r\n")) resolve(text);
      });
    });
    socket.write("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    const blockedUntil = Date.now() + 400;
    while (Date.now() < blockedUntil) {
      // Blocks this process's event loop, which the gateway shares: the request waits in the socket.
    }
    const head = await answer;
    socket.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 503/);
    expect(head.toLowerCase()).toContain("retry-after: 1");
    expect(upstream.hits).toBe(0);
    // Once the loop keeps time again, requests are served (retried a few times: the machine is shared).
    let served = false;
    for (let i = 0; i < 10 && !served; i++) {
      await sleep(150);
      served = (await rawRequest(gateway.url("/"))).status === 200;
    }
    expect(served).toBe(true);
  });
});
