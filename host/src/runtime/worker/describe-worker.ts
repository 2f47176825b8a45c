import { parentPort, workerData } from "node:worker_threads";
import { instantiatePolicy, type WasmModule } from "@portcullis/sdk/component";
import type { DescribeMessage } from "../describe-plugins.js";

/**
 * A short-lived thread that runs module start and `describe()` at load for the plugins that did not
 * finish within the main thread's slice, so a plugin that never returns can be stopped by
 * terminating this thread (see describePlugins). `describe` must not call capabilities, so it runs with none.
 */
const plugins = (workerData as { plugins: { name: string; module: WasmModule }[] }).plugins;
const post = (message: DescribeMessage): void => parentPort!.postMessage(message);

for (const { name, module } of plugins) {
  post({ name, started: true });
  try {
    post({ name, descriptor: instantiatePolicy(module, {}).describe() });
  } catch (error) {
    post({ name, error: error instanceof Error ? error.message : String(error) });
  }
}
