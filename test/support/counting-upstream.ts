import { startUpstream, type Upstream } from "./servers.js";

/** An upstream that answers "upstream" and counts the requests that reached it (for ip-filter, authorize, geo-filter). */
export async function countingUpstream(): Promise<Upstream & { hits: () => number }> {
  let hits = 0;
  const upstream = await startUpstream((_req, res) => {
    hits++;
    res.end("upstream");
  });
  return Object.assign(upstream, { hits: () => hits });
}
