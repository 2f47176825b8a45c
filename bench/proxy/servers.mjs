// The processes the proxy benchmark starts: `node servers.mjs <role> [upstreamPort]`, roles:
//   upstream  a node:http server answering a small fixed body
//   bare      node:http + undici Pool forwarder (what a hand-written Node proxy does), piping both ways
//   gateway   Portcullis (host/dist) with one route to the upstream, its access log on stdout (as deployed)
//   gateway-nolog  the same with the log level at silent, to show what the access log costs
// Each prints its port as the first line on stdout once listening.
import { writeSync } from "node:fs";
import { createServer } from "node:http";
import { Pool } from "undici";

const [role, upstreamPort] = process.argv.slice(2);
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;

function announce(server) {
  writeSync(1, `${server.address().port}\n`);
}

if (role === "upstream") {
  const body = Buffer.from("hello from upstream\n");
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  });
  server.listen(0, "127.0.0.1", () => announce(server));
} else if (role === "bare") {
  const pool = new Pool(upstreamUrl, { connections: 128 });
  const server = createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers.connection;
    delete headers.host;
    pool.request({ path: req.url, method: req.method, headers, body: req.method === "GET" ? null : req }).then(
      ({ statusCode, headers: upstreamHeaders, body }) => {
        delete upstreamHeaders.connection;
        delete upstreamHeaders["keep-alive"];
        res.writeHead(statusCode, upstreamHeaders);
        body.pipe(res);
      },
      () => {
        res.statusCode = 502;
        res.end();
      },
    );
  });
  server.listen(0, "127.0.0.1", () => announce(server));
} else if (role === "gateway" || role === "gateway-nolog") {
  const { startGateway } = await import("../../host/dist/index.js");
  const gateway = await startGateway({
    listeners: [{ name: "bench", host: "127.0.0.1", port: 0, routes: [{ name: "up", backend: { url: upstreamUrl } }] }],
    admin: { enabled: false },
    logging: { level: role === "gateway" ? "info" : "silent", format: "json" },
  });
  writeSync(1, `${gateway.listeners[0].port}\n`);
} else {
  throw new Error(`unknown role ${role}`);
}
