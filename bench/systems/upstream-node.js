// The upstream when nginx is not installed: node:http answering a small fixed body to every request
// (after reading the request body, as a real service would). Usage: node upstream-node.js
import { createServer } from "node:http";
import { listenAndAnnounce } from "./announce.js";

const body = Buffer.from("hello from upstream\n");
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
listenAndAnnounce(server);
