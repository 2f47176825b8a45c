import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FlowRunner } from "../../host/src/proxy/flow-runner.js";
import { routesYaml } from "../support/gateway.js";
import { track } from "../support/servers.js";

/**
 * An upstream a test can kill, restart on the same port, and switch between behaviours, counting the
 * requests that reached it (health checks apart, in `checks`).
 */
export interface Fleetmate {
  name: string;
  port: number;
  url: string;
  hits: number;
  checks: number;
  /** What /health answers. */
  healthStatus: number;
  handler: RequestListener;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export async function startFleetmate(name: string, handler: RequestListener = answerName(name)): Promise<Fleetmate> {
  let server: Server | undefined;
  const mate: Fleetmate = {
    name,
    port: 0,
    url: "",
    hits: 0,
    checks: 0,
    healthStatus: 200,
    handler,
    kill: async () => {
      const closing = server;
      server = undefined;
      if (!closing) return;
      closing.closeAllConnections();
      await new Promise((resolve) => closing.close(resolve));
    },
    restart: async () => {
      server = createServer((req, res) => {
        if (req.url === "/health") {
          mate.checks++;
          res.statusCode = mate.healthStatus;
          res.end();
          return;
        }
        mate.hits++;
        mate.handler(req, res);
      });
      const listening = server;
      await new Promise<void>((resolve) => listening.listen(mate.port, "127.0.0.1", resolve));
      mate.port = (listening.address() as AddressInfo).port;
      mate.url = `http://127.0.0.1:${mate.port}`;
    },
  };
  await mate.restart();
  track(() => mate.kill());
  return mate;
}

/**
 * YAML for one listener on 127.0.0.1:0 with one route "up" whose backend is `backend` (block-style keys,
 * one per line); `top` adds top-level keys, e.g. `loadShedding: { maxInFlight: 3 }`.
 */
export function route(backend: string, top = ""): string {
  const indented = backend.replace(/^\n/, "").replace(/^/gm, "          ");
  return `${top}\n${routesYaml(`      - name: up\n        backend:\n${indented}\n`)}`;
}

export function answerName(name: string): RequestListener {
  return (_req, res) => res.end(name);
}

export function answerStatus(status: number): RequestListener {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = status;
    res.end(`status ${status}`);
  };
}

/** A request body sent chunked (no Content-Length), for rawRequest. */
export async function* chunks(...parts: string[]): AsyncIterable<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 20 ms for up to `withinMs`; returns whether it became true. */
export async function eventually(condition: () => boolean, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}

/**
 * `count` requests, `concurrency` at a time, through fetch, stopping at `deadlineMs` whatever is left;
 * the statuses and bodies in order of completion (status 0: the request failed).
 */
export async function load(
  url: string,
  count: number,
  concurrency: number,
  init: RequestInit = {},
  deadlineMs = 15_000,
): Promise<Array<{ status: number; body: string }>> {
  const results: Array<{ status: number; body: string }> = [];
  const deadline = Date.now() + deadlineMs;
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      next++;
      const response = await fetch(url, init).catch(() => undefined);
      results.push(response ? { status: response.status, body: await response.text() } : { status: 0, body: "" });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** How many of `results` have each body. */
export function tally(results: Array<{ body: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { body } of results) counts[body] = (counts[body] ?? 0) + 1;
  return counts;
}

/** A flow runner with no policies but a fault flow that records every fault it sees (code per request id). */
export function recordingFaults(): FlowRunner & { faults: Array<{ code: string; requestId: string }> } {
  const faults: Array<{ code: string; requestId: string }> = [];
  const none = () => undefined;
  return {
    faults,
    onListenerRequest: none,
    onRouteRequest: none,
    onUpstreamResponse: none,
    onGatewayResponse: none,
    onFault(ex, fault) {
      faults.push({ code: fault.code, requestId: ex.requestId });
      return undefined;
    },
  };
}
