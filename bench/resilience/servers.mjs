// The processes of the resilience benchmark: `node servers.mjs <role> [upstream ports...]`, roles:
//   upstream   a node:http server answering a small fixed body (and 200 on /health)
//   off        Portcullis, three targets, retries and outlier detection off (the old no-failure path)
//   defaults   the same targets with the default retries (2, budget) and outlier detection
//   checked    defaults plus active health checks every 200 ms on each target
// Logging is off, so the figures show the resilience work rather than the access log. Each prints its
// port as the first line on stdout once listening.
import { writeSync } from "node:fs";
import { createServer } from "node:http";

const [role, ...ports] = process.argv.slice(2);

const RESILIENCE = {
  off: { retries: { attempts: 0 }, outlierDetection: { enabled: false } },
  defaults: {},
  checked: { healthCheck: { path: "/health", intervalMs: 200 } },
};

if (role === "upstream") {
  const body = Buffer.from("hello from upstream\n");
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  });
  server.listen(0, "127.0.0.1", () => writeSync(1, `${server.address().port}\n`));
} else if (role in RESILIENCE) {
  const { startGateway } = await import("../../host/dist/index.js");
  const targets = ports.map((port) => ({ url: `http://127.0.0.1:${port}` }));
  const gateway = await startGateway({
    listeners: [{ name: "bench", host: "127.0.0.1", port: 0, routes: [{ name: "up", backend: { targets, ...RESILIENCE[role] } }] }],
    admin: { enabled: false },
    logging: { level: "silent" },
  });
  writeSync(1, `${gateway.listeners[0].port}\n`);
} else {
  throw new Error(`unknown role ${role}`);
}
