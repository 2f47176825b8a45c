import { Worker } from "node:worker_threads";
import type { Descriptor, WasmModule } from "@portcullis/sdk/component";
import { PortcullisError } from "../errors.js";

/** What the describe worker reports for each plugin, in order: started, then a descriptor or an error. */
export type DescribeMessage = { name: string; started: true } | { name: string; descriptor: Descriptor } | { name: string; error: string };

/** Workers run compiled JS; when this module runs from host/src (tests), the build in host/dist is used. */
const DESCRIBE_WORKER = new URL("./worker/describe-worker.js", import.meta.url.replace("/host/src/", "/host/dist/"));

/** Time a fresh thread may take to load before it reports its first plugin. */
const THREAD_START_MS = 10_000;

/**
 * Runs every plugin's module start and `describe()` in a thread of its own, each within `timeoutMs`:
 * an infinite loop cannot be interrupted inside a thread, only by terminating it, so loading never
 * runs plugin code in the gateway's main thread. `where(name)` locates the plugin in the config.
 */
export async function describePlugins(
  plugins: { name: string; module: WasmModule }[],
  timeoutMs: number,
  where: (name: string) => string,
): Promise<Map<string, Descriptor>> {
  const descriptors = new Map<string, Descriptor>();
  if (plugins.length === 0) return descriptors;
  const worker = new Worker(DESCRIBE_WORKER, { workerData: { plugins } });
  try {
    await new Promise<void>((resolve, reject) => {
      let timer = setTimeout(() => reject(new Error("the plugin loading thread did not start")), THREAD_START_MS + timeoutMs);
      worker.on("message", (message: DescribeMessage) => {
        clearTimeout(timer);
        if ("started" in message) {
          timer = setTimeout(() => reject(loadTimeout(message.name, timeoutMs, where)), timeoutMs);
        } else if ("error" in message) {
          reject(new PortcullisError("PCS_ERR_PLUGIN_INVALID", `plugin "${message.name}": describe() failed: ${message.error}`));
        } else {
          descriptors.set(message.name, message.descriptor);
          if (descriptors.size === plugins.length) resolve();
        }
      });
      worker.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      worker.on("exit", () => {
        clearTimeout(timer);
        reject(new Error("the plugin loading thread exited early"));
      });
    });
  } finally {
    await worker.terminate();
  }
  return descriptors;
}

function loadTimeout(name: string, timeoutMs: number, where: (name: string) => string): PortcullisError {
  return new PortcullisError(
    "PCS_ERR_PLUGIN_LOAD_TIMEOUT",
    `${where(name)}: plugin "${name}" did not finish its module start and describe() within ${timeoutMs} ms ` +
      "(runtime.loadTimeoutMs); its thread was terminated and the start refused",
  );
}
