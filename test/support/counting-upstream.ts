import type { RequestListener } from "node:http";
import { startUpstream, type Upstream } from "./servers.js";

export type CountingUpstream = Upstream & { hits: () => number };

/** An upstream that counts the requests that reached it (policies that must stop a request prove it here). */
async function counting(handler: RequestListener): Promise<CountingUpstream> {
  let hits = 0;
  const upstream = await startUpstream((req, res) => {
    hits++;
    handler(req, res);
  });
  return Object.assign(upstream, { hits: () => hits });
}

/** Answers "upstream". */
export function countingUpstream(): Promise<CountingUpstream> {
  return counting((_req, res) => res.end("upstream"));
}

/** Answers with what it received, as JSON: `{ url, headers }` (to check what policies forwarded). */
export function echoUpstream(): Promise<CountingUpstream> {
  return counting((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
}
