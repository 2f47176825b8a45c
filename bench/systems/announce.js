// How a server started by the bench tells it where it listens: one line on stdout.
import { writeSync } from "node:fs";

/** Exits normally on SIGTERM, so that `node --cpu-prof` writes its profile. */
export function exitOnSigterm() {
  process.once("SIGTERM", () => process.exit(0));
}

/** Listens on an ephemeral port of 127.0.0.1 and prints `listening on http://127.0.0.1:<port>`. */
export function listenAndAnnounce(server) {
  exitOnSigterm();
  server.listen(0, "127.0.0.1", () => writeSync(1, `listening on http://127.0.0.1:${server.address().port}\n`));
}

export const ANNOUNCEMENT = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
