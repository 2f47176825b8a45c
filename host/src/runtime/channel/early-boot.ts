import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parse } from "yaml";
import { startThread, type ChannelThread } from "./channel-thread.js";

/** runtime.workers when the configuration does not say. */
export const defaultWorkerCount = (): number => Math.max(1, Math.min(4, availableParallelism()));

/**
 * `portcullis start`: policy worker threads started before the gateway's own modules load, so both load
 * at once (each thread's modules cost about as much CPU as a few hundred milliseconds of the main
 * thread's). Only when the file will want them: it declares plugins, keeps the direct channel and
 * reload.standbyWorkers, and sets runtime.workers to a plain number or not at all. They are handed to
 * the gateway's standby workers, which the first policy runtime takes when their count matches; a
 * guess that does not match is terminated. A file that cannot be read or parsed boots nothing (the
 * start then reports it properly).
 */
export function bootThreadsFor(configPath: string): ChannelThread[] | undefined {
  let doc: unknown;
  try {
    doc = parse(readFileSync(configPath, "utf8"));
  } catch {
    return undefined;
  }
  const config = doc as { plugins?: unknown; runtime?: { workers?: unknown; channel?: unknown }; reload?: { standbyWorkers?: unknown } } | null;
  const plugins = config?.plugins;
  if (!plugins || typeof plugins !== "object" || Object.keys(plugins).length === 0) return undefined;
  const channel = config.runtime?.channel ?? (process.env.PORTCULLIS_TEST_CHANNEL === "piscina" ? "piscina" : "direct"); // as policy-runtime.ts: channelOf
  if (channel !== "direct" || config.reload?.standbyWorkers === false) return undefined;
  const workers = config.runtime?.workers ?? defaultWorkerCount();
  if (!Number.isInteger(workers) || (workers as number) < 1 || (workers as number) > MAX_EARLY_THREADS) return undefined;
  return Array.from({ length: workers as number }, () => startThread(undefined));
}

/** More workers than this wait for the configuration to be checked. */
const MAX_EARLY_THREADS = 16;
