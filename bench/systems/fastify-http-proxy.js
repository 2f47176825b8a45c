// Peer: fastify with @fastify/http-proxy (reply-from over undici), logger off, one catch-all route.
// Usage: node fastify-http-proxy.js <upstream url>
import proxy from "@fastify/http-proxy";
import Fastify from "fastify";
import { exitOnSigterm } from "./announce.js";

exitOnSigterm();
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: process.argv[2] });
const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`listening on ${address}\n`);
