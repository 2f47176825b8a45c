import { watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Logger } from "pino";

/**
 * Calls `onChange` once the configuration file has been quiet for `debounceMs` after a change, with the
 * time (performance.now()) of the burst's first change. The folder
 * is watched, not the file: editors and deployment tools often write a new file and rename it over the old
 * one, which a watch on the old file's inode would miss. Returns the function that stops watching.
 */
export function watchConfigFile(file: string, debounceMs: number, onChange: (changedAt: number) => void, logger: Logger): () => void {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  let changedAt: number | undefined;
  const watcher = watch(dirname(resolve(file)), { persistent: false }, (_event, changed) => {
    if (changed !== null && changed !== name) return;
    clearTimeout(timer);
    changedAt ??= performance.now();
    timer = setTimeout(() => {
      const first = changedAt!;
      changedAt = undefined;
      onChange(first);
    }, debounceMs);
  });
  watcher.on("error", (error) => logger.warn({ err: error, file }, "stopped watching the configuration file; SIGHUP and POST /reload still reload"));
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
