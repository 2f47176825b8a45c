// The processes the observability benchmark starts: `node servers.mjs <role> [upstreamPort] [sinkPort]`:
//   upstream  a node:http server answering a small fixed body
//   sink      an OTLP/HTTP receiver that counts the spans it is sent (JSON) and answers 200
//   off       Portcullis (host/dist), one route to the upstream, built-in metrics off
//   metrics   the same with metrics on (the default)
//   traces    metrics on and traces at 1% sampling, exported to the sink
// Log level silent everywhere, so the figures show the observability cost, not the access log's.
// Each prints its port (and the sink its span count on SIGUSR2) on stdout.
import { writeSync } from "node:fs";
import { createServer } from "node:http";

const [role, upstreamPort, sinkPort] = process.argv.slice(2);

function announce(port) {
  writeSync(1, `${port}\n`);
}

if (role === "upstream") {
  const body = Buffer.from("hello from upstream\n");
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  });
  server.listen(0, "127.0.0.1", () => announce(server.address().port));
} else if (role === "sink") {
  let spans = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      spans += (text.match(/"spanId"/g) ?? []).length;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  process.on("SIGUSR2", () => writeSync(1, `spans ${spans}\n`));
  server.listen(0, "127.0.0.1", () => announce(server.address().port));
} else if (["off", "metrics", "traces"].includes(role)) {
  const { startGateway } = await import("../../host/dist/index.js");
  const observability = {
    metrics: { enabled: role !== "off" },
    traces: role === "traces" ? { enabled: true, sampling: 0.01, endpoint: `http://127.0.0.1:${sinkPort}/v1/traces`, batchDelayMs: 500 } : { enabled: false },
  };
  const gateway = await startGateway({
    listeners: [{ name: "bench", host: "127.0.0.1", port: 0, routes: [{ name: "up", backend: { url: `http://127.0.0.1:${upstreamPort}` } }] }],
    admin: { enabled: false },
    logging: { level: "silent", format: "json" },
    observability,
  });
  announce(gateway.listeners[0].port);
} else {
  throw new Error(`unknown role ${role}`);
}
