import { Writable } from "node:stream";
import { parseConfigText, startGateway, type Gateway, type StartOptions } from "../../host/src/index.js";
import { track } from "./servers.js";

export interface TestGateway extends Gateway {
  /** URL of `path` on a listener (the first by default). */
  url(path: string, listener?: string): string;
  /** Parsed log lines (access log and others), in order. */
  logs: Array<Record<string, unknown>>;
}

/**
 * Starts a gateway from YAML text (listeners on `port: 0`; the admin server is moved to port 0 unless the
 * YAML sets `admin:`), capturing its log. Stopped by stopAll().
 */
export async function startTestGateway(yaml: string, options: { env?: NodeJS.ProcessEnv; flows?: StartOptions["flows"] } = {}): Promise<TestGateway> {
  const text = /^admin:/m.test(yaml) ? yaml : `${yaml}\nadmin: { port: 0 }\n`;
  const loaded = parseConfigText(text, { source: "test.yaml", env: options.env ?? {} });
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const gateway = await startGateway(loaded, { logDestination: destination, flows: options.flows });
  track(() => gateway.close());
  return Object.assign(gateway, {
    logs,
    url(path: string, listener?: string) {
      const bound = listener ? gateway.listeners.find((l) => l.name === listener) : gateway.listeners[0];
      if (!bound) throw new Error(`no listener ${listener}`);
      return `${bound.url.replace("0.0.0.0", "127.0.0.1")}${path}`;
    },
  });
}

/**
 * YAML for one listener "main" on 127.0.0.1:0 with one route (default name "up", matching every path)
 * to `backend`, a flow-style mapping such as `{ url: "http://127.0.0.1:1234" }`. `listener` adds keys to
 * the listener, one per line, e.g. `limits: { maxBodyBytes: 10 }`.
 */
export function singleRoute(backend: string, options: { route?: string; listener?: string } = {}): string {
  const listenerKeys = options.listener ? `${options.listener.replace(/^/gm, "    ")}\n` : "";
  return `
listeners:
  - name: main
    host: 127.0.0.1
    port: 0
${listenerKeys}    routes:
      - name: ${options.route ?? "up"}
        backend: ${backend}
`;
}

/** YAML for one listener "main" on 127.0.0.1:0 whose `routes:` list is `routes` (items indented by 6 spaces). */
export function routesYaml(routes: string): string {
  return `\nlisteners:\n  - name: main\n    host: 127.0.0.1\n    port: 0\n    routes:\n${routes.replace(/^\n/, "")}`;
}
