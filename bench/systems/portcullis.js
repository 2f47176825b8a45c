// Portcullis as a user runs it: `portcullis start -c <file>` in its own process, one route to the
// upstream, the policies of the system under test attached to that route.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startProcess, waitForHttp } from "../lib/children.js";
import { freePort } from "../lib/free-port.js";

export const PORTCULLIS_CLI = fileURLToPath(new URL("../../host/bin/portcullis.js", import.meta.url));

/**
 * A chain of `count` distinct plugins built from one policy file, each attached once:
 * `{ plugins, entries }` for the config (`with` is given to every entry when set).
 */
export function chainOf(prefix, wasmPath, count, withConfig) {
  const plugins = {};
  const entries = [];
  for (let i = 1; i <= count; i++) {
    const name = `${prefix}-${i}`;
    plugins[name] = { path: wasmPath };
    entries.push(withConfig ? { plugin: name, with: withConfig(i) } : { plugin: name });
  }
  return { plugins, entries };
}

/**
 * The gateway's configuration (JSON is YAML): access log off unless `accessLog`, admin off,
 * a short drain so that stopping is quick, the plugin cache in the run's directory.
 */
export function portcullisConfig({ port, upstreamUrl, request = [], response = [], plugins = {}, accessLog = false, cacheDir }) {
  const route = { name: "upstream", backend: { url: upstreamUrl } };
  if (request.length || response.length) route.policies = { request, response };
  const config = {
    listeners: [{ name: "bench", host: "127.0.0.1", port, routes: [route] }],
    admin: { enabled: false },
    logging: { level: accessLog ? "info" : "warn", format: "json" },
    shutdown: { drainTimeoutMs: 1_000 },
  };
  if (Object.keys(plugins).length) {
    config.plugins = plugins;
    config.runtime = { cacheDir };
  }
  return config;
}

/**
 * Writes the config for `name`, starts the CLI on it and waits until the listener answers;
 * `startMs` is the time from spawning the process to that first answer, `spawnedAt` the epoch (ms)
 * of the spawn, to place the gateway's log lines (pino's `time`) on the same clock.
 */
export async function startPortcullis(name, settings, { runDir, readyPath = "/", extraNodeArgs = [] }) {
  const port = await freePort();
  const file = join(runDir, `${name}.yaml`);
  const cacheDir = settings.cacheDir ?? join(runDir, "plugin-cache");
  writeFileSync(file, JSON.stringify(portcullisConfig({ ...settings, port, cacheDir }), null, 2));
  const spawnedAt = Date.now();
  const spawnedAtMs = performance.now();
  const handle = startProcess(name, process.execPath, [...extraNodeArgs, PORTCULLIS_CLI, "start", "-c", file], { logDir: runDir });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(handle, `${url}${readyPath}`, 60_000, 2);
  return { handle, url, startMs: performance.now() - spawnedAtMs, spawnedAt };
}
