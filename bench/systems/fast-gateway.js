// Peer: fast-gateway (restana + fast-proxy-lite, keep-alive http.Agent), one catch-all route.
// Usage: node fast-gateway.js <upstream url>
import gateway from "fast-gateway";
import { listenAndAnnounce } from "./announce.js";

const app = gateway({ routes: [{ prefix: "", target: process.argv[2] }] });
listenAndAnnounce(app.getServer());
