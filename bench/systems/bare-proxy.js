// The bare proxy: the least a Node forwarder does (node:http in, undici Pool out, bodies streamed both
// ways, hop-by-hop headers dropped). The ceiling for any Node gateway on this machine.
// Usage: node bare-proxy.js <upstream url>
import { createServer } from "node:http";
import { Pool } from "undici";
import { listenAndAnnounce } from "./announce.js";

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "host"];
const upstream = new Pool(process.argv[2], { connections: 128 });

function withoutHopByHop(headers) {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

const server = createServer(async (req, res) => {
  const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  try {
    const answer = await upstream.request({
      method: req.method,
      path: req.url,
      headers: withoutHopByHop(req.headers),
      body: hasBody ? req : null,
    });
    res.writeHead(answer.statusCode, withoutHopByHop(answer.headers));
    answer.body.pipe(res);
  } catch {
    res.writeHead(502).end();
  }
});
server.keepAliveTimeout = 60_000;
listenAndAnnounce(server);
