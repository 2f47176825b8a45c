import { createContext, Script } from "node:vm";
import { Worker } from "node:worker_threads";
import { instantiatePolicy, type Descriptor, type WasmModule } from "@portcullis/sdk/component";
import { PortcullisError } from "../errors.js";

/** What the describe worker reports for each plugin, in order: started, then a descriptor or an error. */
export type DescribeMessage = { name: string; started: true } | { name: string; descriptor: Descriptor } | { name: string; error: string };

/** Workers run compiled JS; when this module runs from host/src (tests), the build in host/dist is used. */
const DESCRIBE_WORKER = new URL("./worker/describe-worker.js", import.meta.url.replace("/host/src/", "/host/dist/"));

/** Time a fresh thread may take to load before it reports its first plugin. */
const THREAD_START_MS = 10_000;

/**
 * The most a plugin's module start and `describe()` may hold the main thread: a few milliseconds for
 * a usual plugin. One that needs longer (or never returns) is stopped there and run again in a thread.
 */
export const MAIN_THREAD_SLICE_MS = 100;

/**
 * Runs every plugin's module start and `describe()`, each within `timeoutMs` in all. First in this
 * thread, under a vm timeout of MAIN_THREAD_SLICE_MS (V8 terminates the execution, wasm loops
 * included, as it does a thread's): a usual plugin is described without starting a thread (about
 * 70 ms of CPU). Those that run out of that slice run again in a thread of their own within the rest
 * of `timeoutMs`, where the thread is terminated when it runs out; so the main thread is never held
 * longer than the slice per plugin, at a reload too. `where(name)` locates the plugin in the config.
 */
export async function describePlugins(
  plugins: { name: string; module: WasmModule }[],
  timeoutMs: number,
  where: (name: string) => string,
): Promise<Map<string, Descriptor>> {
  const descriptors = new Map<string, Descriptor>();
  const slice = Math.min(MAIN_THREAD_SLICE_MS, timeoutMs);
  const slow: typeof plugins = [];
  for (const plugin of plugins) {
    const described = describeHere(plugin.module, slice);
    if (described === undefined) slow.push(plugin);
    else if ("error" in described) throw describeFailed(plugin.name, described.error);
    else descriptors.set(plugin.name, described.descriptor);
  }
  if (slow.length === 0) return descriptors;
  if (timeoutMs <= slice) throw loadTimeout(slow[0]!.name, timeoutMs, where);
  const late = (name: string) => loadTimeout(name, timeoutMs, where);
  for (const [name, descriptor] of await describeInThread(slow, timeoutMs - slice, late)) descriptors.set(name, descriptor);
  return descriptors;
}

let describeContext: object | undefined;
const DESCRIBE_CALL = new Script("describe()");

/** A plugin described in this thread within `sliceMs`; undefined when it ran out of time. */
function describeHere(module: WasmModule, sliceMs: number): { descriptor: Descriptor } | { error: string } | undefined {
  const context = (describeContext ??= createContext({})) as { describe?: () => Descriptor };
  // `describe` must not call capabilities, so it runs with none.
  context.describe = () => instantiatePolicy(module, {}).describe();
  try {
    return { descriptor: DESCRIBE_CALL.runInContext(context, { timeout: sliceMs }) as Descriptor };
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return undefined;
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    context.describe = undefined;
  }
}

/** Module start and `describe()` in a thread of its own, which is terminated when a plugin runs out of `timeoutMs`. */
async function describeInThread(
  plugins: { name: string; module: WasmModule }[],
  timeoutMs: number,
  late: (name: string) => PortcullisError,
): Promise<Map<string, Descriptor>> {
  const descriptors = new Map<string, Descriptor>();
  const worker = new Worker(DESCRIBE_WORKER, { workerData: { plugins } });
  try {
    await new Promise<void>((resolve, reject) => {
      let timer = setTimeout(() => reject(new Error("the plugin loading thread did not start")), THREAD_START_MS + timeoutMs);
      worker.on("message", (message: DescribeMessage) => {
        clearTimeout(timer);
        if ("started" in message) {
          timer = setTimeout(() => reject(late(message.name)), timeoutMs);
        } else if ("error" in message) {
          reject(describeFailed(message.name, message.error));
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

function describeFailed(name: string, error: string): PortcullisError {
  return new PortcullisError("PCS_ERR_PLUGIN_INVALID", `plugin "${name}": describe() failed: ${error}`);
}

function loadTimeout(name: string, timeoutMs: number, where: (name: string) => string): PortcullisError {
  return new PortcullisError(
    "PCS_ERR_PLUGIN_LOAD_TIMEOUT",
    `${where(name)}: plugin "${name}" did not finish its module start and describe() within ${timeoutMs} ms ` +
      "(runtime.loadTimeoutMs); its thread was terminated and the start refused",
  );
}
