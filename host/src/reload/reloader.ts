import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { ConfigError, formatIssue, type LoadedConfig } from "../config/load-config.js";
import { PortcullisError, type ErrorCode } from "../errors.js";
import type { PluginCounts } from "./generation.js";
import { PhaseClock } from "./phase-clock.js";

/** What asked for the reload: the file watch, SIGHUP, POST /reload, or a program (Gateway.reload). */
export type ReloadTrigger = "file" | "signal" | "admin" | "api";

export interface ReloadChanges {
  listeners: { kept: string[]; added: string[]; removed: string[] };
  plugins: PluginCounts;
  /** Settings that changed but only take effect at the next start (they keep their running value). */
  needRestart: string[];
}

/** One problem of a refused configuration; `text` is the line the log and the CLI print. */
export interface ReloadIssue {
  file: string;
  line?: number;
  column?: number;
  path: Array<string | number>;
  message: string;
  text: string;
}

export interface ReloadOutcome {
  trigger: ReloadTrigger;
  startedAt: string;
  durationMs: number;
  /** unchanged: a file event with the same content as the last reload (nothing is done or logged). */
  result: "applied" | "refused" | "unchanged";
  /** The generation serving after this reload (it grows by one with each applied reload). */
  generation: number;
  code?: ErrorCode;
  message?: string;
  issues?: ReloadIssue[];
  changes?: ReloadChanges;
  /**
   * Milliseconds per phase: debounce (file watch only: from the first change to the start, waiting for a
   * running reload included), parse, plugins, workers (pool start and warm-up; standbyWorkers when the booted spare was taken),
   * listeners, cutover.
   */
  phases?: Record<string, number>;
}

/** Builds, checks and cuts over to a configuration; throws, having changed nothing, when it cannot. */
export type ApplyConfig = (loaded: LoadedConfig, clock: PhaseClock) => Promise<{ generation: number; changes: ReloadChanges }>;

/** Reads the configuration file's text into a checked configuration (parseConfigText with the gateway's env and overrides). */
export type ReadConfig = (text: string) => LoadedConfig;

/**
 * Runs reloads one at a time (triggers arriving during one share the next run), records their outcomes
 * for the admin API and logs them. A refusal changes nothing: the running generation keeps serving.
 */
export class Reloader {
  #tail: Promise<unknown> = Promise.resolve();
  #queued: Promise<ReloadOutcome> | undefined;
  #textHash: string | undefined;
  #last: ReloadOutcome | undefined;
  #lastRefused: ReloadOutcome | undefined;
  #applied = 0;
  #refused = 0;

  constructor(
    readonly file: string | undefined,
    private readonly read: ReadConfig,
    private readonly apply: ApplyConfig,
    private readonly generation: () => number,
    private readonly logger: Logger,
    /** The text the gateway started from: a file event that leaves it unchanged does nothing. */
    startText?: string,
  ) {
    this.#textHash = startText === undefined ? undefined : sha256(startText);
  }

  /** `changedAt`: when the file watch saw the change (performance.now()), for the debounce phase. */
  reload(trigger: ReloadTrigger, changedAt?: number): Promise<ReloadOutcome> {
    if (this.#queued) return this.#queued;
    const run = this.#tail.then(() => {
      this.#queued = undefined;
      return this.#run(trigger, changedAt);
    });
    this.#queued = run;
    this.#tail = run;
    return run;
  }

  /** For GET /reload; `standbyWorkers`: see StandbyWorkers.state ("off" when reload.standbyWorkers is false). */
  status(watching: boolean, standbyWorkers: string): Record<string, unknown> {
    return {
      file: this.file ?? null,
      watching,
      standbyWorkers,
      generation: this.generation(),
      applied: this.#applied,
      refused: this.#refused,
      last: this.#last ?? null,
      lastRefused: this.#lastRefused ?? null,
    };
  }

  async #run(trigger: ReloadTrigger, changedAt: number | undefined): Promise<ReloadOutcome> {
    const startedAt = new Date().toISOString();
    const started = performance.now();
    const clock = new PhaseClock(changedAt ?? started);
    if (changedAt !== undefined) clock.lap("debounce");
    const outcome = (fields: Partial<ReloadOutcome> & Pick<ReloadOutcome, "result">): ReloadOutcome => ({
      trigger,
      startedAt,
      durationMs: Math.round(performance.now() - started),
      generation: this.generation(),
      ...fields,
      phases: clock.phases,
    });
    let loaded: LoadedConfig | undefined;
    try {
      if (this.file === undefined) {
        throw new PortcullisError("PCS_ERR_RELOAD_UNAVAILABLE", "this gateway was started from a configuration object, not a file: there is nothing to reload");
      }
      const text = readConfigText(this.file);
      const hash = sha256(text);
      if (trigger === "file" && hash === this.#textHash) return outcome({ result: "unchanged" });
      this.#textHash = hash;
      loaded = this.read(text);
      clock.lap("parse");
      const { changes } = await this.apply(loaded, clock);
      return this.#recordApplied(outcome({ result: "applied", changes }));
    } catch (error) {
      return this.#recordRefused(outcome({ result: "refused", ...describeFailure(error, loaded) }));
    }
  }

  #recordApplied(outcome: ReloadOutcome): ReloadOutcome {
    this.#applied += 1;
    this.#last = outcome;
    const { trigger, generation, durationMs, changes, phases } = outcome;
    this.logger.info(
      { reload: { trigger, generation, durationMs, phases, changes } },
      `configuration reloaded (${trigger}): generation ${generation} serves, ready in ${durationMs} ms`,
    );
    return outcome;
  }

  #recordRefused(outcome: ReloadOutcome): ReloadOutcome {
    this.#refused += 1;
    this.#last = outcome;
    this.#lastRefused = outcome;
    const { trigger, generation, code, issues } = outcome;
    const detail = issues?.length ? issues.map((i) => i.text).join("; ") : outcome.message;
    this.logger.error(
      { reload: { trigger, generation }, code, issues },
      `configuration reload refused (${trigger}): ${code}: ${detail}; generation ${generation} keeps serving`,
    );
    return outcome;
  }
}

/** The code, message and located issues of a failed reload. */
function describeFailure(error: unknown, loaded: LoadedConfig | undefined): Pick<ReloadOutcome, "code" | "message" | "issues"> {
  if (error instanceof ConfigError) {
    const issues = error.issues.map((issue) => ({ file: error.source, ...issue, text: formatIssue(error.source, issue).trim() }));
    return { code: error.code, message: `${error.source}: invalid configuration`, issues };
  }
  if (error instanceof PortcullisError) {
    // Plugin errors name the plugin: point at its entry in the file.
    const plugin = /^plugin "([^"]+)"/.exec(error.message)?.[1];
    if (!plugin || !loaded) return { code: error.code, message: error.message };
    const issue = { path: ["plugins", plugin], message: error.message, ...loaded.locate(["plugins", plugin]) };
    return { code: error.code, message: error.message, issues: [{ file: loaded.source, ...issue, text: formatIssue(loaded.source, issue).trim() }] };
  }
  return { code: "PCS_ERR_INTERNAL", message: String((error as Error)?.message ?? error) };
}

export function readConfigText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new PortcullisError("PCS_ERR_CONFIG_UNREADABLE", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
