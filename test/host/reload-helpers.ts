import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { startGateway, type Gateway } from "../../host/src/index.js";
import { tempFile } from "../support/cli.js";
import { track } from "../support/servers.js";

export interface FileGateway {
  gateway: Gateway;
  file: string;
  /** Parsed log lines, in order. */
  logs: Array<Record<string, unknown>>;
  /** http://127.0.0.1:port of the admin listener. */
  admin: string;
  write(yaml: string): void;
}

/**
 * Starts a gateway from a real configuration file (so it can be reloaded), written in `folder` or a new
 * temporary one, capturing its log; stopped by stopAll().
 */
export async function startFileGateway(yaml: string, folder?: string): Promise<FileGateway> {
  const file = folder ? join(folder, "gateway.yaml") : tempFile("gateway.yaml", yaml);
  writeFileSync(file, yaml);
  const logs: Array<Record<string, unknown>> = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const gateway = await startGateway({ configPath: file }, { logDestination });
  track(() => gateway.close());
  return { gateway, file, logs, admin: `http://127.0.0.1:${gateway.admin!.port}`, write: (text) => writeFileSync(file, text) };
}

/** Polls `test` every 10 ms until it holds; throws after `timeoutMs`. */
export async function until(test: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await test())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
