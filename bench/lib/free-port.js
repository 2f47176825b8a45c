// An ephemeral port for servers that cannot listen on port 0 and tell us the port (nginx, and the
// gateway when its log level hides the "listening on" line). Released just before use: a small race.
import { createServer } from "node:net";

export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
